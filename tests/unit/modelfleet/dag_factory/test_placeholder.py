"""A DAG that could not be built becomes a marked, paused placeholder that carries why."""

from __future__ import annotations

from modelfleet.dag_factory.placeholder import BROKEN_TAG, placeholder_for_build_error
from modelfleet.specs.errors import SpecError, problem


def test_an_unexpected_error_becomes_one_problem_that_points_to_on_call() -> None:
    dag = placeholder_for_build_error(RuntimeError("boom"), "acme", "churn", "tenants/acme/models/churn.yaml",
                                      dag_id="acme__churn__scoring")
    assert dag.dag_id == "acme__churn__scoring" and BROKEN_TAG in dag.tags
    assert dag.description.startswith("BROKEN SPEC: tenants/acme/models/churn.yaml")
    assert "DAG could not be built: boom" in dag.description and "platform on-call" in dag.doc_md


def test_a_spec_error_keeps_its_own_problems_and_file() -> None:
    error = SpecError([problem("tenants/acme/models/b.yaml", "features.views[0]", "join keys differ", "use the same keys")])
    dag = placeholder_for_build_error(error, "acme", "features", "tenants/acme/models", what="feature DAG")
    assert dag.dag_id == "acme__features"
    assert dag.description.startswith("BROKEN SPEC: tenants/acme/models/b.yaml")
    assert "join keys differ" in dag.description and "could not be built" not in dag.description

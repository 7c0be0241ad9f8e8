"""Property: any mutation of a valid spec yields a clear, located error, never a traceback, and never hurts another pipeline."""

from __future__ import annotations

import copy
import tempfile
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from modelfleet.specs.loader import load_fleet
from support.spec_edits import junk, key_paths, parent_of

from ..conftest import MODEL, TENANT, write_tenant

OTHER = {**TENANT, "id": "globex", "alerts": {}, "data_root": "globex"}
OTHER_MODEL = {**MODEL, "features": {**MODEL["features"], "views": ["globex__tx"]}, "data": {**MODEL["data"], "generator": "globex.datagen:tx"}}


targeted = st.sampled_from([
    ("schedule", "99 99 * * *"), ("schedule", "@fortnightly"), ("framework", "sklearn"), ("task", "clustering"),
    (("data", "path"), "../../globex/x.parquet"), (("data", "path"), "/var/lib/other.parquet"),
    (("data", "path"), "s3://someone-else/x.parquet"), (("training", "resources", "gpus"), -1),
    (("evaluation", "metric"), "ndcg"), (("data", "max_age"), "forever"), ("retries", 1),
])
hostile_roots = st.sampled_from(["globex", "globex/tx", ".", "../globex", "acme/../globex", "/srv/data", "s3://globex-lake", "gs://acme"])
"""data_root values that are not acme's own folder and that nothing grants it."""


@st.composite
def mutations(draw: Any) -> tuple[str, dict, dict, bool]:
    """(which file, tenant, model, must fail): one mutation applied to the tenant or the model spec."""
    target = draw(st.sampled_from(["model", "tenant"]))
    tenant, model = copy.deepcopy(TENANT), copy.deepcopy(MODEL)
    spec = model if target == "model" else tenant
    kind = draw(st.sampled_from(["delete", "replace", "unknown", "targeted", "quota"]))
    if kind == "targeted" and target == "model":
        where, value = draw(targeted)
        where = where if isinstance(where, tuple) else (where,)
        parent_of(spec, where)[where[-1]] = value
        return target, tenant, model, True
    if kind == "targeted":
        tenant["data_root"] = draw(hostile_roots)
        return target, tenant, model, True
    if kind == "quota":
        tenant["gpu_quota"] = {"a10g": {"nominal": draw(st.integers(-100, -1))}}
        return "tenant", tenant, model, True
    path = draw(st.sampled_from(key_paths(spec)))
    parent = parent_of(spec, path)
    if kind == "delete" and isinstance(parent, dict):
        del parent[path[-1]]
        return target, tenant, model, False
    if kind == "unknown":
        # hyperparameters are a free-form mapping: an extra key there is legitimate
        free_form = "hyperparameters" in path[:-1]
        holder = parent if isinstance(parent, dict) and not free_form else spec
        holder[draw(st.sampled_from(["colour", "timeout_minutes", "frameworks", "x"]))] = draw(junk)
        return target, tenant, model, True
    parent[path[-1]] = draw(junk)
    return target, tenant, model, False


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutations())
def test_mutated_specs_give_located_errors_and_keep_other_pipelines(case: tuple[str, dict, dict, bool]) -> None:
    target, tenant, model, must_fail = case
    with tempfile.TemporaryDirectory() as tmp:
        base, data_root = Path(tmp) / "tenants", Path(tmp) / "data"
        folder = write_tenant(base, tenant, {"fraud": model}) if isinstance(tenant.get("id"), str) and tenant["id"] == "acme" else None
        if folder is None:  # the id itself was mutated: keep the folder name the team chose
            (base / "acme" / "models").mkdir(parents=True)
            (base / "acme" / "tenant.yaml").write_text(yaml.safe_dump(tenant))
            (base / "acme" / "models" / "fraud.yaml").write_text(yaml.safe_dump(model))
        write_tenant(base, OTHER, {"fraud": OTHER_MODEL})

        fleet = load_fleet(base, data_root)  # must never raise

        assert "globex__fraud" in {p.dag_id for p in fleet.pipelines}, [str(p) for p in fleet.all_problems]
        acme_ok = "acme__fraud" in {p.dag_id for p in fleet.pipelines}
        assert not (must_fail and acme_ok), f"mutation accepted silently: {target} {tenant if target == 'tenant' else model}"
        if not acme_ok:
            problems = fleet.all_problems
            assert problems, "a pipeline vanished without a reason"
            for problem in problems:
                assert problem.file.startswith("tenants/acme/"), problem
                assert problem.message and problem.fix, problem
                assert "Traceback" not in str(problem) and "<class" not in str(problem)
            expected_file = "tenants/acme/models/fraud.yaml" if target == "model" else "tenants/acme/tenant.yaml"
            assert any(p.file == expected_file for p in problems), [str(p) for p in problems]

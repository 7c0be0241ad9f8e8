"""`<team>__features` DAGs: one per tenant, cheap to parse, publishing the Asset the training DAGs wait for."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml

from modelfleet.dag_factory.features import build_feature_dags
from modelfleet.dag_factory.pipeline import schedule_for, tenant_asset
from modelfleet.specs.loader import load_fleet

REPO = Path(__file__).resolve().parents[4]
HEAVY_MODULES = ("feast", "pandas", "pyarrow", "dask", "mlflow", "torch", "xgboost")


def test_one_feature_dag_per_tenant_publishing_its_asset() -> None:
    fleet = load_fleet()
    dags = build_feature_dags()
    assert sorted(dags) == [f"{t}__features" for t in sorted(fleet.tenants)]
    for tenant_id, tenant in fleet.tenants.items():
        dag = dags[f"{tenant_id}__features"]
        assert {f"tenant:{tenant_id}", f"tier:{tenant.priority_tier}", "features"} <= set(dag.tags)
        materialize = dag.get_task("materialize")
        assert materialize.outlets == [tenant_asset(tenant_id, f"{tenant_id}__features")]
        sensors = sorted(t for t in dag.task_ids if t != "materialize")
        assert sensors and set(sensors) == materialize.upstream_task_ids
        for task in dag.tasks:
            assert task.owner == ",".join(tenant.owners) and task.retries >= 3 and task.on_failure_callback
        for pipeline in fleet.for_tenant(tenant_id):
            if not isinstance(pipeline.model.schedule, str) and pipeline.model.schedule.asset == f"{tenant_id}__features":
                assert schedule_for(pipeline) == materialize.outlets  # the training DAG waits for exactly this Asset


def test_a_team_s_dag_file_holds_its_feature_dag_without_heavy_imports() -> None:
    code = (
        "import sys, runpy; g = runpy.run_path(sys.argv[1]); "
        "print(','.join(k for k in g if k.endswith('__features')), "
        f"','.join(m for m in {HEAVY_MODULES!r} if m in sys.modules), sep='|')"
    )
    out = subprocess.run([sys.executable, "-c", code, str(REPO / "dags" / "tenants" / "payments.py")],
                         capture_output=True, text=True, check=True)
    features, heavy = out.stdout.strip().splitlines()[-1].split("|")
    assert features == "payments__features" and heavy == "", out.stdout


def test_a_tenant_whose_specs_conflict_gets_a_placeholder_and_the_others_load(fleet_dir: Path) -> None:
    spec_file = fleet_dir / "acme" / "models" / "fraud.yaml"
    spec = yaml.safe_load(spec_file.read_text())
    spec["features"]["join_keys"] = ["channel"]
    spec_file.write_text(yaml.safe_dump(spec))
    dags = build_feature_dags(fleet_dir)
    assert sorted(dags) == ["acme__features", "globex__features"]
    assert "broken-spec" in dags["acme__features"].tags and "join keys" in dags["acme__features"].description
    assert "broken-spec" not in dags["globex__features"].tags
    # `modelfleet validate` reads the same load_fleet: it reports exactly what the placeholder says
    fleet = load_fleet(fleet_dir)
    assert fleet.feature_problems.keys() == {"acme"} and set(fleet.feature_problems["acme"]) <= set(fleet.problems)
    assert dags["acme__features"].get_task("spec_error").message == "\n".join(str(p) for p in fleet.feature_problems["acme"])

"""The real dags/ folder, as the DAG processor sees it: no import errors and the platform's policy on every DAG."""

from __future__ import annotations

import sys
from datetime import timedelta
from pathlib import Path

import pytest

from modelfleet.monitoring.dag import MONITORING_DAG_ID, SCHEDULE
from modelfleet.scheduling.capacity import load_capacity
from modelfleet.scheduling.pools import PoolLayout, gpu_pool_name
from modelfleet.specs.loader import load_fleet

DAGS_FOLDER = Path(__file__).resolve().parents[2] / "dags"
HEAVY_MODULES = ("torch", "mlflow", "feast", "pandas", "xgboost", "sklearn", "dvc", "scipy")


@pytest.fixture(scope="module")
def dagbag():
    from airflow.dag_processing.dagbag import DagBag

    known_pools = {"default_pool", *PoolLayout.of(load_fleet(), load_capacity()).names()}
    return DagBag(dag_folder=str(DAGS_FOLDER), known_pools=known_pools)


def test_no_import_errors(dagbag):
    assert dagbag.import_errors == {}


def test_every_valid_spec_has_its_dag_and_no_spec_is_broken(dagbag):
    fleet = load_fleet()
    assert [str(p) for p in fleet.all_problems] == []
    expected = {p.dag_id for p in fleet.pipelines}
    assert len(expected) >= 2
    assert expected <= set(dagbag.dag_ids)
    scoring = {f"{p.dag_id}__scoring" for p in fleet.pipelines if p.model.deployment.target == "batch"}
    assert scoring and scoring <= set(dagbag.dag_ids)
    online = {f"{p.dag_id}__scoring" for p in fleet.pipelines if p.model.deployment.target != "batch"}
    assert not online & set(dagbag.dag_ids)


def test_scoring_dags_wait_for_the_day_and_score_with_the_champion(dagbag):
    from airflow.sdk import DAG

    from modelfleet.operators.score import ScoreBatchOperator
    from modelfleet.sensors.data_file import DataFileSensor

    for pipeline in load_fleet().pipelines:
        if pipeline.model.deployment.target != "batch":
            continue  # online models are served, not scored (see the test above)
        dag = dagbag.dags[f"{pipeline.dag_id}__scoring"]
        expected = DAG("reference", schedule=pipeline.model.deployment.scoring_schedule or "@daily").timetable
        assert dag.timetable.expression == expected.expression, dag.dag_id
        assert "scoring" in dag.tags and not dag.catchup
        sensor, score = dag.get_task("wait_for_data"), dag.get_task("score")
        assert {t.task_id for t in dag.tasks} == {"wait_for_data", "score"}
        assert isinstance(sensor, DataFileSensor) and sensor.downstream_task_ids == {"score"}
        assert sensor.path == pipeline.data_path.replace("{ds}", "{{ ds }}")
        assert isinstance(score, ScoreBatchOperator) and (score.tenant_id, score.model_name) == (pipeline.tenant.id, pipeline.model.name)


def test_every_dag_has_tenant_tag_owner_and_retry_policy(dagbag):
    fleet = load_fleet()
    owners_by_dag = {p.dag_id: p.owners for p in fleet.pipelines}
    owners_by_dag |= {f"{t}__features": tenant.owners for t, tenant in fleet.tenants.items()}
    owners_by_dag |= {f"{p.dag_id}__scoring": p.owners for p in fleet.pipelines}
    for dag_id, dag in dagbag.dags.items():
        if dag_id == MONITORING_DAG_ID:
            continue  # the platform's own DAG: no team (test_monitoring_dag_is_the_platforms_own)
        tenant = dag_id.split("__", 1)[0]
        assert f"tenant:{tenant}" in dag.tags, dag_id
        for task in dag.tasks:
            assert task.owner == ",".join(owners_by_dag[dag_id]), (dag_id, task.task_id)
            assert task.retries >= 3, (dag_id, task.task_id)
            assert task.retry_exponential_backoff >= 2, (dag_id, task.task_id)
            assert task.max_retry_delay is not None and task.max_retry_delay <= timedelta(hours=1)
            assert task.execution_timeout is not None, (dag_id, task.task_id)
            assert task.on_failure_callback, (dag_id, task.task_id)


def test_dags_are_acyclic_and_follow_the_pipeline_order(dagbag):
    stages = ["wait_for_data", "validate_data", "quality_gate", "build_features", "evaluate", "register", "deploy", "summarize"]
    for dag_id in _pipeline_dag_ids():
        dag = dagbag.dags[dag_id]
        order = [t.task_id for t in _toposort(dag)]
        positions = [order.index(s) for s in stages]
        assert positions == sorted(positions), (dag_id, order)
        trains = [i for i, t in enumerate(order) if t.startswith("train")]
        assert trains and order.index("build_features") < min(trains) and max(trains) < order.index("evaluate"), dag_id


def test_quality_gate_routes_to_full_reduced_or_alert_and_joins(dagbag):
    """Branches sit directly below the gate; deploy needs allow_deploy (skipped on the reduced path);
    the join tolerates a skipped deploy; the alert path reaches no training task."""
    from airflow.providers.standard.operators.branch import BaseBranchOperator

    from modelfleet.operators.quality_gate import ALERT, FULL, REDUCED

    for dag_id in _pipeline_dag_ids():
        dag = dagbag.dags[dag_id]
        gate = dag.get_task("quality_gate")
        assert isinstance(gate, BaseBranchOperator) and gate.inherits_from_skipmixin, dag_id
        assert gate.upstream_task_ids == {"validate_data"}, dag_id
        assert gate.downstream_task_ids == {"build_features", "allow_deploy", "quality_alert"}, dag_id
        assert gate.branches == {FULL: ["build_features", "allow_deploy"], REDUCED: ["build_features"], ALERT: ["quality_alert"]}
        assert dag.get_task("build_features").upstream_task_ids == {"quality_gate"}, dag_id
        deploy = dag.get_task("deploy")
        assert deploy.upstream_task_ids == {"register", "allow_deploy"} and deploy.trigger_rule == "all_success", dag_id
        alert = dag.get_task("quality_alert")
        assert alert.downstream_task_ids == set() and alert.trigger_rule == "all_success", dag_id
        summary = dag.get_task("summarize")
        assert summary.upstream_task_ids == {"register", "deploy"}, dag_id
        assert summary.trigger_rule == "none_failed_min_one_success", dag_id
        assert dag.get_task("allow_deploy").downstream_task_ids == {"deploy"}, dag_id
        reached_by_alert = alert.get_flat_relative_ids(upstream=False)
        assert not reached_by_alert, dag_id
        trains = {t.task_id for t in dag.tasks if t.task_id.startswith("train")}
        assert trains <= dag.get_task("build_features").get_flat_relative_ids(upstream=False), dag_id


def _pipeline_dag_ids() -> list[str]:
    ids = sorted(p.dag_id for p in load_fleet().pipelines)
    assert ids
    return ids


def _toposort(dag):
    """Kahn's algorithm: raises if the DAG has a cycle."""
    indegree = {t.task_id: len(t.upstream_task_ids) for t in dag.tasks}
    ready = sorted(t for t, d in indegree.items() if d == 0)
    ordered = []
    while ready:
        task_id = ready.pop(0)
        ordered.append(dag.get_task(task_id))
        for down in sorted(dag.get_task(task_id).downstream_task_ids):
            indegree[down] -= 1
            if indegree[down] == 0:
                ready.append(down)
    assert len(ordered) == len(dag.tasks), f"{dag.dag_id} has a cycle"
    return ordered


def test_gpu_training_takes_one_slot_per_gpu_of_its_teams_pool(dagbag):
    fleet = load_fleet()
    pools = set(PoolLayout.of(fleet, load_capacity()).names())
    gpu_tasks = 0
    for pipeline in fleet.pipelines:
        dag = dagbag.dags[pipeline.dag_id]
        spec = pipeline.model
        configs = [("train", spec.training.resources)] + [(f"train_{c.name}", c.resources) for c in spec.candidates]
        for task_id, resources in configs:
            train = dag.get_task(task_id)
            if resources.device == "gpu":
                gpu_tasks += 1
                expected = gpu_pool_name(pipeline.tenant.id, resources.gpu_class, resources.gpus)
                assert train.pool == expected and expected in pools and train.pool_slots == resources.gpus
                assert train.queue == "gpu"
            else:
                assert train.pool == "default_pool" and train.queue == "cpu"
    assert gpu_tasks >= 9


def test_priority_tiers_are_absolute_weights_with_the_models_own_tier_first(dagbag):
    from modelfleet.specs.tenant import PRIORITY_WEIGHTS

    for pipeline in load_fleet().pipelines:
        tier = pipeline.model.priority_tier or pipeline.tenant.priority_tier
        for task in dagbag.dags[pipeline.dag_id].tasks:
            assert task.priority_weight == PRIORITY_WEIGHTS[tier], (pipeline.dag_id, task.task_id)
            assert task.weight_rule == "absolute"


def test_monitoring_dag_is_the_platforms_own(dagbag):
    """One platform DAG beside the fleet's: every few minutes, drift then the fleet checks, no team's tag."""
    dag = dagbag.dags[MONITORING_DAG_ID]
    assert dag.timetable.expression == SCHEDULE and not dag.catchup and dag.max_active_runs == 1
    assert "platform" in dag.tags and not any(t.startswith("tenant:") for t in dag.tags)
    assert dag.get_task("check_drift").downstream_task_ids == {"check_fleet"}
    assert dag.get_task("check_fleet").trigger_rule == "all_done"  # a failed drift check must not hide the fleet's health
    assert all(t.execution_timeout is not None for t in dag.tasks)
    assert [d for d in dagbag.dag_ids if "__" not in d] == [MONITORING_DAG_ID]  # every other DAG is a team's


def test_every_pipeline_carries_its_deadline_alert(dagbag):
    for pipeline in load_fleet().pipelines:
        [alert] = dagbag.dags[pipeline.dag_id].deadline
        assert alert.interval == pipeline.model.monitoring_under(pipeline.tenant).deadline, pipeline.dag_id


@pytest.mark.parametrize("dag_file", ["tenants/payments.py", "tenants/supplychain.py", "monitoring.py"])
def test_parsing_imports_no_heavy_library(dag_file):
    import subprocess

    code = (
        "import sys, runpy; runpy.run_path(sys.argv[1]); "
        f"print(','.join(m for m in {HEAVY_MODULES!r} if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code, str(DAGS_FOLDER / dag_file)], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1:] in ([], [""]), out.stdout

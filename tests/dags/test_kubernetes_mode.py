"""dags/ in the Helm deployment's mode (MODELFLEET_MODE=kubernetes), parsed and serialized as the DAG processor does:
GPU training tasks name the KubernetesExecutor with their pod, and the pod survives serialization to the scheduler."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

DAGS_FOLDER = Path(__file__).resolve().parents[2] / "dags"

PARSE = """
import json, sys
from airflow.dag_processing.dagbag import DagBag
from airflow.serialization.serialized_objects import DagSerialization

bag = DagBag(dag_folder=sys.argv[1])
gpu = {}
for dag_id, dag in sorted(bag.dags.items()):
    if not any(t.executor for t in dag.tasks):
        continue
    served = DagSerialization.from_dict(DagSerialization.to_dict(dag))  # what the scheduler reads back from the database
    for task in served.tasks:
        if task.executor:
            pod = task.executor_config["pod_override"]
            gpu[f"{dag_id}.{task.task_id}"] = {
                "executor": task.executor, "queue": task.queue, "pool": task.pool,
                "template": task.executor_config["pod_template_file"], "namespace": pod.metadata.namespace,
                "queue_label": pod.metadata.labels.get("kueue.x-k8s.io/queue-name"),
                "gpus": pod.spec.containers[0].resources.limits.get("nvidia.com/gpu"),
            }
print(json.dumps({"import_errors": {k: v[-300:] for k, v in bag.import_errors.items()}, "gpu": gpu}))
"""


def parse(**env: str) -> dict:
    result = subprocess.run([sys.executable, "-c", PARSE, str(DAGS_FOLDER)], capture_output=True, text=True, timeout=300,
                            env={**os.environ, "MODELFLEET_MODE": "kubernetes", **env})
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_gpu_tasks_carry_their_kueue_pod_through_serialization() -> None:
    from modelfleet.specs.loader import load_fleet

    parsed = parse(AIRFLOW__CORE__EXECUTOR="CeleryExecutor,KubernetesExecutor")
    assert parsed["import_errors"] == {}
    fleet = load_fleet()
    expected = sum(len(p.model.gpu_requests) for p in fleet.pipelines)
    assert expected and len(parsed["gpu"]) == expected
    card_fraud = parsed["gpu"]["payments__card_fraud.train_mlp_challenger"]
    assert card_fraud == {"executor": "KubernetesExecutor", "queue": "gpu", "pool": "payments__gpu_a10g",
                          "template": "/opt/airflow/pod_templates/modelfleet/gpu-a10g.yaml", "namespace": "modelfleet-payments",
                          "queue_label": "gpu", "gpus": "1"}


def test_a_deployment_without_the_kubernetes_executor_gets_an_import_error_naming_it() -> None:
    parsed = parse(AIRFLOW__CORE__EXECUTOR="CeleryExecutor")
    from modelfleet.specs.loader import load_fleet

    gpu_teams = {p.tenant.id for p in load_fleet().pipelines if p.model.gpu_requests}
    failed = {Path(path).stem: error for path, error in parsed["import_errors"].items()}
    assert gpu_teams and set(failed) == gpu_teams  # a team without GPU tasks keeps its DAGs
    assert all("KubernetesExecutor" in error for error in failed.values())
    assert parsed["gpu"] == {}

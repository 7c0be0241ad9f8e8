"""Every pod the platform would submit, validated against Kubernetes' schemas and admissible by Kueue."""

from __future__ import annotations

import copy
from datetime import datetime, timezone
from typing import Any

import pytest
import yaml
from support.k8s_render import FleetRender, gpu_quota, gpu_tasks, kubernetes_mode_tasks

from modelfleet.k8s import names, pods
from modelfleet.k8s.checks import core_problems, quantity


def test_core_manifests_are_valid_kubernetes(real: FleetRender) -> None:
    objects = real.rendered.objects()
    kinds = sorted({o["kind"] for o in objects if o["apiVersion"] in ("v1", "batch/v1")})
    assert kinds == ["ConfigMap", "Namespace"]
    templates = [t for path, docs in real.rendered.files.items() if path.startswith("pod-templates/") for t in docs]
    assert len(templates) == 1 + len(real.capacity.classes_with_devices())
    assert core_problems(objects + templates) == []


def executor_pod(real: FleetRender, pipeline: Any, task_id: str, config: dict[str, Any]) -> dict[str, Any]:
    """The pod the KubernetesExecutor would create for a task with this executor_config: its template file with the
    override, built by Airflow's own code."""
    from airflow.providers.cncf.kubernetes.pod_generator import PodGenerator

    path = config["pod_template_file"]
    assert path.startswith(names.POD_TEMPLATES_DIR + "/")
    configmap = real.one("ConfigMap", names.POD_TEMPLATES_CONFIGMAP)
    template = yaml.safe_load(configmap["data"][path.rsplit("/", 1)[1]])  # the file the scheduler reads at that path
    pod = PodGenerator.construct_pod(
        dag_id=pipeline.dag_id, task_id=task_id, pod_id=f"{pipeline.dag_id}-{task_id}".replace("_", "-"), try_number=1,
        kube_image=real.deploy.image, date=datetime(2026, 11, 1, tzinfo=timezone.utc),
        args=["python", "-m", "airflow.sdk.execution_time.execute_workload", "--json-string", "{}"],
        pod_override_object=config["pod_override"], base_worker_pod=pods.to_model(template), namespace="airflow",
        scheduler_job_id="1", run_id="scheduled__2026-11-01T00:00:00+00:00",
    )
    return pods.to_manifest(pod)


def test_in_kubernetes_mode_gpu_training_tasks_run_on_the_kubernetes_executor_and_cpu_tasks_stay_on_celery(real: FleetRender) -> None:
    tasks = kubernetes_mode_tasks(real.fleet)
    gpu = [t for t in tasks if t.resources.device == "gpu"]
    requests = [r for p in real.fleet.pipelines for r in p.model.gpu_requests]
    assert gpu and len(gpu) == len(requests)  # every GPU training task, main trainers and challengers
    for task in tasks:
        if task.resources.device == "gpu":
            assert task.executor == "KubernetesExecutor", (task.pipeline.dag_id, task.task_id)
            assert task.executor_config["pod_template_file"] == names.template_path(names.gpu_template(task.resources.gpu_class))
        else:
            assert task.executor is None and task.executor_config == {}, (task.pipeline.dag_id, task.task_id)
    assert len(tasks) > len(gpu)  # the fleet has CPU trainers too


def test_the_embedded_and_celery_modes_name_no_executor() -> None:
    from support.k8s_render import render_fleet

    from modelfleet.dag_factory.pipeline import build_pipeline_dag

    fleet = render_fleet().fleet
    pipeline = next(p for p in fleet.pipelines if p.model.gpu_requests)
    assert {task.executor for task in build_pipeline_dag(pipeline).tasks} == {None}


def test_every_gpu_training_tasks_pod_is_valid_and_admissible(real: FleetRender) -> None:
    local_queues = {(q["metadata"]["namespace"], q["metadata"]["name"]) for q in real.rendered.of_kind("LocalQueue")}
    priority_classes = {c["metadata"]["name"] for c in real.rendered.of_kind("WorkloadPriorityClass")}
    for task in gpu_tasks(real.fleet):
        pipeline, task_id, resources = task.pipeline, task.task_id, task.resources
        pod = executor_pod(real, pipeline, task_id, task.executor_config)
        assert core_problems([pod]) == [], (pipeline.dag_id, task_id)
        team, labels = pipeline.tenant.id, pod["metadata"]["labels"]
        assert pod["metadata"]["namespace"] == names.namespace(team)
        assert (pod["metadata"]["namespace"], labels[names.QUEUE_LABEL]) in local_queues
        assert labels[names.PRIORITY_LABEL] in priority_classes
        assert labels[names.PRIORITY_LABEL] == names.priority_class(pipeline.model.priority_tier or pipeline.tenant.priority_tier)
        base = next(c for c in pod["spec"]["containers"] if c["name"] == "base")
        assert base["resources"]["limits"][names.GPU_RESOURCE] == str(resources.gpus)
        assert base["args"][:3] == ["python", "-m", "airflow.sdk.execution_time.execute_workload"]
        state = next(m for m in base["volumeMounts"] if m["name"] == names.STATE_VOLUME)
        assert state["mountPath"] == real.deploy.state_dir  # the run folders the CPU stages wrote
        assert real.deploy.state_volume in pod["spec"]["volumes"]
        node = next(e for e in base["env"] if e["name"] == "MODELFLEET_GPU_HOST")
        assert node["valueFrom"] == {"fieldRef": {"fieldPath": "spec.nodeName"}}
        assert_admitted_only_by_its_flavor(real, pod, resources.gpu_class)
        assert_fits_the_teams_queue(real, pod, team, resources.gpu_class)


def assert_admitted_only_by_its_flavor(real: FleetRender, pod: dict[str, Any], gpu_class: str) -> None:
    """Kueue gives a pod a flavor whose nodeLabels its nodeSelector matches and whose nodeTaints it tolerates."""
    selector = pod["spec"].get("nodeSelector") or {}
    tolerated = {(t["key"], t.get("value"), t["effect"]) for t in pod["spec"].get("tolerations") or []}
    fitting = []
    for flavor in real.rendered.of_kind("ResourceFlavor"):
        labels_ok = all(selector.get(k) == v for k, v in flavor["spec"]["nodeLabels"].items())
        taints_ok = all((t["key"], t.get("value"), t["effect"]) in tolerated for t in flavor["spec"].get("nodeTaints", []))
        if labels_ok and taints_ok:
            fitting.append(flavor["metadata"]["name"])
    assert fitting == [names.flavor(gpu_class)]


def assert_fits_the_teams_queue(real: FleetRender, pod: dict[str, Any], team: str, gpu_class: str) -> None:
    """Every resource the pod requests is covered by its team's queue, within nominal plus borrowing (else never admitted)."""
    queue = real.one("ClusterQueue", names.cluster_queue(team))
    covered = queue["spec"]["resourceGroups"][0]["coveredResources"]
    requests = {}
    for container in pod["spec"]["containers"]:
        for resource, amount in (container.get("resources", {}).get("requests") or {}).items():
            requests[resource] = requests.get(resource, 0) + quantity(amount)
    assert set(requests) <= set(covered), f"{team}: requests {sorted(requests)} not all covered by {covered}"
    for resource, amount in requests.items():
        nominal = quantity(gpu_quota(queue, names.flavor(gpu_class), resource=resource))
        borrowing = gpu_quota(queue, names.flavor(gpu_class), "borrowingLimit", resource)
        ceiling = None if borrowing is None else nominal + quantity(borrowing)
        assert ceiling is None or amount <= ceiling, (team, resource, amount, ceiling)


def test_a_k_gpu_task_asks_for_k_gpus_and_k_shares_of_cpu_and_memory(real: FleetRender) -> None:
    pipeline = real.pipeline("payments__card_fraud")
    two = pipeline.model.candidates[0].resources.model_copy(update={"gpus": 2})
    config = pods.gpu_task_executor_args(pipeline, two, real.capacity)["executor_config"]
    pod = executor_pod(real, pipeline, "train_mlp_challenger", config)
    base = next(c for c in pod["spec"]["containers"] if c["name"] == "base")
    assert base["resources"]["requests"] == {"cpu": "12", "memory": "56Gi", names.GPU_RESOURCE: "2"}
    assert base["resources"]["limits"] == {"memory": "56Gi", names.GPU_RESOURCE: "2"}
    assert core_problems([pod]) == []


def test_a_cpu_task_stays_on_celery(real: FleetRender) -> None:
    pipeline = real.pipeline("lending__application_default")
    assert pods.gpu_task_executor_args(pipeline, pipeline.model.training.resources, real.capacity) == {}


@pytest.mark.parametrize(("change", "expected"), [
    pytest.param(lambda p: p["spec"]["containers"][0].pop("name"), "'name' is a required property", id="container-without-name"),
    pytest.param(lambda p: p["spec"].update(restartPolicy=None, nodeSelectr={}), "Additional properties", id="misspelt-field"),
    pytest.param(lambda p: p["spec"]["tolerations"][0].update(tolerationSeconds="soon"), "'soon' is not of type", id="wrong-type"),
    pytest.param(lambda p: p["metadata"].update(namespace="team_payments"), "is not a DNS-1123 label", id="bad-namespace"),
])
def test_the_core_check_rejects_what_the_api_server_rejects(real: FleetRender, change: Any, expected: str) -> None:
    template = copy.deepcopy(real.rendered.files["pod-templates/gpu-a10g.yaml"][0])
    change(template)
    problems = core_problems([template])
    assert any(expected in p for p in problems), problems

"""Pods the platform runs on Kubernetes: the CPU and GPU pod templates and a GPU task's executor config.

How a GPU training task runs in Kubernetes mode (MODELFLEET_MODE=kubernetes,
modelfleet.k8s.runtime): the DAG factory gives the task its pool and
`queue="gpu"` as in every mode, plus `executor="KubernetesExecutor"` and the
`executor_config` of `gpu_task_executor_args`. The KubernetesExecutor creates
the task's pod from the class's template file with the override on top: in
the team's namespace, labelled with the team's LocalQueue and the task's
WorkloadPriorityClass, requesting k GPUs (and k times the class's CPU and
memory share), on the class's nodes. Kueue's pod integration holds the pod
until the team's ClusterQueue admits it; then it is scheduled and the task
runs as under any executor, on the devices the device plugin bound to it
(no platform lease), with the run folders on the shared state volume.

Kueue also admits batch Jobs (the cncf-kubernetes provider's
KubernetesStartKueueJobOperator), but a Job runs outside the Airflow task:
the platform trains in the task's own pod, so its XCom, retries, lineage and
trace stay the task's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from modelfleet.k8s import names, runtime
from modelfleet.k8s.kueue import scale

if TYPE_CHECKING:
    from kubernetes.client import models as k8s

    from modelfleet.k8s.helm import Deployment
    from modelfleet.scheduling.capacity import Capacity
    from modelfleet.specs.loader import PipelineSpec
    from modelfleet.specs.model import Resources

Manifest = dict[str, Any]

CPU_REQUESTS = {"cpu": "1", "memory": "2Gi"}
"""A CPU task pod's requests (the KubernetesExecutor's CPU template)."""


def gpu_resources(capacity: Capacity, gpu_class: str, gpus: int) -> dict[str, dict[str, str]]:
    """k GPUs and k times the class's CPU and memory share: what the team's ClusterQueue counts for the pod."""
    placement = capacity.placement(gpu_class)
    cpu, memory = scale(placement.cpu_per_gpu, gpus), scale(placement.memory_per_gpu, gpus)
    return {"requests": {"cpu": cpu, "memory": memory, names.GPU_RESOURCE: str(gpus)},
            "limits": {"memory": memory, names.GPU_RESOURCE: str(gpus)}}


def tolerations(capacity: Capacity, gpu_class: str) -> list[dict[str, Any]]:
    """Tolerations of every taint the class's nodes carry."""
    found = []
    for taint in capacity.placement(gpu_class).taints:
        toleration: dict[str, Any] = {"key": taint.key, "operator": "Equal" if taint.value is not None else "Exists",
                                      "effect": taint.effect}
        if taint.value is not None:
            toleration["value"] = taint.value
        found.append(toleration)
    return found


def _git_sync(deploy: Deployment) -> dict[str, Any]:
    """A one-shot git-sync (v4) of the repository the chart's git-sync serves, into the DAGs volume."""
    env = [{"name": "GITSYNC_REPO", "value": deploy.git_repo}, {"name": "GITSYNC_REF", "value": deploy.git_ref},
           {"name": "GITSYNC_ROOT", "value": "/git"}, {"name": "GITSYNC_LINK", "value": "repo"},
           {"name": "GITSYNC_DEPTH", "value": "1"}, {"name": "GITSYNC_ONE_TIME", "value": "true"}]
    container: dict[str, Any] = {"name": "git-sync-init", "image": deploy.git_sync_image, "env": env,
                                 "volumeMounts": [{"name": "dags", "mountPath": "/git"}]}
    if deploy.git_credentials_secret:
        # The secret lives in Airflow's namespace; copy it into each team namespace (docs/operations.md).
        container["envFrom"] = [{"secretRef": {"name": deploy.git_credentials_secret, "optional": True}}]
    return container


def _environment(deploy: Deployment, gpu: bool) -> list[dict[str, Any]]:
    """The chart's common environment, where the execution API and the DAGs are, and (GPU pods) the node's name."""
    env = dict(deploy.env)
    env.update({"AIRFLOW__CORE__EXECUTION_API_SERVER_URL": deploy.execution_api_url,
                "AIRFLOW__CORE__DAGS_FOLDER": deploy.dags_folder})
    items: list[dict[str, Any]] = [{"name": key, "value": value} for key, value in sorted(env.items())]
    if gpu:  # the host a training run records (modelfleet.k8s.runtime.device_grant)
        items.append({"name": runtime.NODE_NAME_VARIABLE, "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}})
    return items


def pod_template(deploy: Deployment, capacity: Capacity, gpu_class: str | None = None) -> Manifest:
    """The KubernetesExecutor's template for CPU tasks (`gpu_class` None) or for one GPU class's tasks.

    The container is `base`, as the executor requires. A GPU template asks for
    one GPU; a k-GPU task's pod override asks for k. Team-specific parts (the
    namespace, the Kueue labels) come from the override too, so one template
    serves every team. The shared state volume (the Celery workers' run
    folders, infra/helm/values.yaml) is mounted at MODELFLEET_HOME, so a pod's
    task reads and writes the run folder its CPU stages use.
    """
    resources = gpu_resources(capacity, gpu_class, 1) if gpu_class else {"requests": dict(CPU_REQUESTS),
                                                                         "limits": {"memory": CPU_REQUESTS["memory"]}}
    spec: dict[str, Any] = {
        "restartPolicy": "Never",
        "automountServiceAccountToken": False,  # task pods talk to the execution API with a token of their own
        "initContainers": [_git_sync(deploy)],
        "containers": [{
            "name": "base", "image": deploy.image, "imagePullPolicy": "IfNotPresent",
            "env": _environment(deploy, gpu=gpu_class is not None), "resources": resources,
            "volumeMounts": [{"name": "dags", "mountPath": deploy.dags_mount, "readOnly": True},
                             {"name": deploy.state_volume["name"], "mountPath": deploy.state_dir}],
        }],
        "volumes": [{"name": "dags", "emptyDir": {}}, dict(deploy.state_volume)],
    }
    labels = {**names.PART_OF, "modelfleet.io/queue": "gpu" if gpu_class else "cpu"}
    if gpu_class:
        labels["modelfleet.io/gpu-class"] = gpu_class
        spec["nodeSelector"] = dict(capacity.placement(gpu_class).node_labels)
        spec["tolerations"] = tolerations(capacity, gpu_class)
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "placeholder-name", "labels": labels}, "spec": spec}


def pod_templates(deploy: Deployment, capacity: Capacity) -> dict[str, Manifest]:
    """File name -> template: the CPU template and one per GPU class that has devices."""
    templates = {names.CPU_TEMPLATE: pod_template(deploy, capacity)}
    for gpu_class in capacity.classes_with_devices():
        templates[names.gpu_template(gpu_class)] = pod_template(deploy, capacity, gpu_class)
    return templates


def priority_tier(pipeline: PipelineSpec) -> str:
    """The model's own tier, else its team's: the same choice as the Airflow priority weight (dag_factory.defaults)."""
    return pipeline.model.priority_tier or pipeline.tenant.priority_tier


def kueue_labels(pipeline: PipelineSpec) -> dict[str, str]:
    return {names.QUEUE_LABEL: names.LOCAL_QUEUE, names.PRIORITY_LABEL: names.priority_class(priority_tier(pipeline))}


def gpu_pod_override(pipeline: PipelineSpec, resources: Resources, capacity: Capacity) -> Manifest:
    """The override of a GPU task's pod, as a manifest: team namespace, Kueue labels, k GPUs on the class's nodes."""
    assert resources.gpu_class, "a GPU task names its class (spec validation)"
    return {
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"namespace": names.namespace(pipeline.tenant.id),
                     "labels": {**kueue_labels(pipeline), "modelfleet.io/tenant": pipeline.tenant.id}},
        "spec": {"containers": [{"name": "base", "resources": gpu_resources(capacity, resources.gpu_class, resources.gpus)}],
                 "nodeSelector": dict(capacity.placement(resources.gpu_class).node_labels),
                 "tolerations": tolerations(capacity, resources.gpu_class)},
    }


class _Response:
    """What the kubernetes client deserializes: a response body."""

    def __init__(self, manifest: Any) -> None:
        import json

        self.data = json.dumps(manifest)


def to_model(manifest: Manifest, kind: str = "V1Pod") -> Any:
    """A manifest as the kubernetes client's model (what Airflow's executor and operators take)."""
    from kubernetes.client import ApiClient

    return ApiClient().deserialize(_Response(manifest), kind)


def to_manifest(model: Any) -> Manifest:
    """A kubernetes client model as a plain manifest (camelCase keys, no nulls)."""
    from kubernetes.client import ApiClient

    return ApiClient().sanitize_for_serialization(model)


def gpu_task_executor_args(pipeline: PipelineSpec, resources: Resources, capacity: Capacity) -> dict[str, Any]:
    """Task arguments that run a GPU task on Kubernetes under Kueue; `{}` for a CPU task (it stays on Celery's `cpu` queue).

    `executor_config` is what the KubernetesExecutor reads: the class's pod
    template file (mounted in the scheduler from the pod templates
    ConfigMap) and a V1Pod override for the team and the task's size.
    """
    if resources.device != "gpu" or not resources.gpu_class:
        return {}
    override: k8s.V1Pod = to_model(gpu_pod_override(pipeline, resources, capacity))
    return {"executor": "KubernetesExecutor",
            "executor_config": {"pod_template_file": names.template_path(names.gpu_template(resources.gpu_class)),
                                "pod_override": override}}

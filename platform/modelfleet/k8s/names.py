"""What every Kubernetes object of the platform is called: one place, so the Kueue objects, the pod templates and
the Helm values name each other the same way.

Kubernetes names are DNS-1123 labels or subdomains: tenant ids (`[a-z][a-z0-9_]*`)
become names with `_` replaced by `-`.
"""

from __future__ import annotations

import re

KUEUE_API_VERSION = "kueue.x-k8s.io/v1beta2"
"""Kueue's served API since v0.15 (v1beta1, with `spec.cohort`, goes away in v0.17)."""

QUEUE_LABEL = "kueue.x-k8s.io/queue-name"
"""The LocalQueue a Job or Pod is submitted to (the cncf-kubernetes provider's KubernetesStartKueueJobOperator sets it)."""
PRIORITY_LABEL = "kueue.x-k8s.io/priority-class"
"""The WorkloadPriorityClass of a Job or Pod."""

GPU_RESOURCE = "nvidia.com/gpu"
COHORT = "modelfleet"
"""The one cohort every team's ClusterQueue belongs to; its Cohort object holds the GPUs nobody is guaranteed."""
LOCAL_QUEUE = "gpu"
"""Each team namespace's LocalQueue: GPU pods and Jobs of the team carry `kueue.x-k8s.io/queue-name: gpu`."""

POD_TEMPLATES_CONFIGMAP = "modelfleet-pod-templates"
"""ConfigMap (in Airflow's namespace) holding the pod template files; infra/helm/values.yaml mounts it in the scheduler."""
POD_TEMPLATES_DIR = "/opt/airflow/pod_templates/modelfleet"
"""Where the scheduler sees the pod template files (the KubernetesExecutor reads them there)."""
CPU_TEMPLATE = "cpu.yaml"

STATE_VOLUME = "modelfleet-state"
"""The ReadWriteMany volume holding MODELFLEET_HOME (the run folders), shared by workers, triggerer and GPU pods."""

PART_OF = {"app.kubernetes.io/part-of": "modelfleet"}
"""Label on everything the platform renders."""

DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
DNS1123_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")


def _dns(tenant_id: str) -> str:
    return tenant_id.replace("_", "-")


def namespace(tenant_id: str) -> str:
    """The team's namespace: its GPU pods, Jobs and LocalQueue live there."""
    return f"modelfleet-{_dns(tenant_id)}"


def cluster_queue(tenant_id: str) -> str:
    """The team's ClusterQueue (cluster-scoped): named like its namespace, the only namespace it admits from."""
    return f"modelfleet-{_dns(tenant_id)}"


def flavor(gpu_class: str) -> str:
    """The ResourceFlavor of a GPU class."""
    return f"gpu-{gpu_class}"


def priority_class(tier: str) -> str:
    """The WorkloadPriorityClass of a priority tier."""
    return f"modelfleet-{tier}"


def gpu_template(gpu_class: str) -> str:
    """File name of a GPU class's pod template (in the ConfigMap and under POD_TEMPLATES_DIR)."""
    return f"gpu-{gpu_class}.yaml"


def template_path(file_name: str) -> str:
    """The path the scheduler reads a pod template file from (executor_config `pod_template_file`)."""
    return f"{POD_TEMPLATES_DIR}/{file_name}"

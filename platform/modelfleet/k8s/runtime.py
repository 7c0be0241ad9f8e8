"""What changes when the platform runs on Kubernetes: GPU training tasks go to the KubernetesExecutor under Kueue,
and Kubernetes, not the platform's lease table, grants their devices.

`MODELFLEET_MODE=kubernetes` is set for every Airflow component by
infra/helm/values.yaml (`env`) and reaches the GPU pods through the rendered
pod templates. Cheap to import: the DAG processor reads it on every parse.
"""

from __future__ import annotations

import os
from typing import Any

MODE_VARIABLE = "MODELFLEET_MODE"
KUBERNETES = "kubernetes"

NODE_NAME_VARIABLE = "MODELFLEET_GPU_HOST"
"""The node a GPU pod runs on (the pod templates set it from the downward API's spec.nodeName)."""


def active() -> bool:
    """True in the Helm deployment (MODELFLEET_MODE=kubernetes)."""
    return os.environ.get(MODE_VARIABLE, "").strip().lower() == KUBERNETES


def device_grant(gpu_class: str, gpus: int) -> dict[str, Any]:
    """The devices Kubernetes gave this pod, described like a platform lease (class, host, devices).

    Kueue admitted the pod against the team's quota and the NVIDIA device
    plugin bound exactly `gpus` devices to its container, so there is nothing
    to lease: the container sees only its own devices. They are named by the
    plugin's NVIDIA_VISIBLE_DEVICES (GPU UUIDs) when it sets it, else by the
    indices CUDA uses inside the container.
    """
    visible = os.environ.get("NVIDIA_VISIBLE_DEVICES", "").strip()
    named = [device for device in visible.split(",") if device] if visible not in ("", "all", "none", "void") else []
    return {"gpu_class": gpu_class, "host": os.environ.get(NODE_NAME_VARIABLE) or os.uname().nodename,
            "devices": named or list(range(gpus)), "granted_by": KUBERNETES}

"""The fleet's Kubernetes manifests as `modelfleet k8s render` renders them, for the tests of the Kubernetes and Compose deployments."""

from __future__ import annotations

import os
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[2]


@dataclass
class FleetRender:
    fleet: Any
    capacity: Any
    plans: list[Any]
    deploy: Any
    rendered: Any

    def one(self, kind: str, name: str) -> dict[str, Any]:
        found = [m for m in self.rendered.of_kind(kind) if m["metadata"]["name"] == name]
        assert len(found) == 1, f"{kind} {name}: {len(found)} rendered"
        return found[0]

    def pipeline(self, dag_id: str) -> Any:
        return next(p for p in self.fleet.pipelines if p.dag_id == dag_id)


def render_fleet(values: Path | None = None) -> FleetRender:
    """What `modelfleet k8s render` renders, from whatever the environment points the platform at."""
    from modelfleet.k8s.helm import Deployment
    from modelfleet.k8s.render import render
    from modelfleet.scheduling.controller import gpu_inputs
    from modelfleet.scheduling.pools import guarantee_plans

    fleet, capacity, layout = gpu_inputs()
    plans = guarantee_plans(fleet, capacity, layout)
    deploy = Deployment.load(values)
    return FleetRender(fleet, capacity, plans, deploy, render(fleet, capacity, plans, deploy))


@dataclass(frozen=True)
class GpuTask:
    """A GPU training task as the DAG factory builds it in Kubernetes mode."""

    pipeline: Any
    task_id: str
    resources: Any
    executor: str | None
    executor_config: dict[str, Any]


def kubernetes_mode_tasks(fleet: Any) -> list[GpuTask]:
    """Every training task of the fleet's DAGs built with MODELFLEET_MODE=kubernetes (the Helm deployment's env)."""
    from unittest import mock

    from modelfleet.dag_factory.pipeline import build_pipeline_dag
    from modelfleet.operators.train import TrainModelOperator

    found = []
    with mock.patch.dict(os.environ, {"MODELFLEET_MODE": "kubernetes"}):
        for pipeline in fleet.pipelines:
            for task in build_pipeline_dag(pipeline).tasks:
                kwargs = getattr(task, "partial_kwargs", None)  # a mapped task keeps its arguments there
                if not (issubclass(task.operator_class, TrainModelOperator) if kwargs is not None else isinstance(task, TrainModelOperator)):
                    continue
                candidate = (kwargs or {}).get("candidate") or getattr(task, "candidate", "main")
                resources = next((c.resources for c in pipeline.model.candidates if c.name == candidate), pipeline.model.training.resources)
                executor = kwargs.get("executor") if kwargs is not None else task.executor
                config = kwargs.get("executor_config") if kwargs is not None else task.executor_config
                found.append(GpuTask(pipeline, task.task_id, resources, executor, config or {}))
    return found


def gpu_tasks(fleet: Any) -> list[GpuTask]:
    """The GPU training tasks (Kubernetes mode), by DAG and task id."""
    tasks = [t for t in kubernetes_mode_tasks(fleet) if t.resources.device == "gpu"]
    return sorted(tasks, key=lambda t: (t.pipeline.dag_id, t.task_id))


def gpu_quota(queue: dict[str, Any], flavor: str, field: str = "nominalQuota", resource: str = "nvidia.com/gpu") -> str | None:
    """One quota of a ClusterQueue (or Cohort): the flavor's entry for the resource, that field."""
    for group in queue["spec"].get("resourceGroups", []):
        for entry in group["flavors"]:
            if entry["name"] == flavor:
                return next(r for r in entry["resources"] if r["name"] == resource).get(field)
    return None


def edit_yaml(path: Path, change: Any) -> None:
    data = yaml.safe_load(path.read_text())
    change(data)
    path.write_text(yaml.safe_dump(data))


def pool_guarantees(real: FleetRender) -> dict[tuple[str, str], int]:
    """(team, class) -> the slots of all the team's pools of the class, as `pools sync` sizes them on a fresh database."""
    from modelfleet.scheduling.pools import parse_pool_name

    slots: dict[tuple[str, str], int] = defaultdict(int)
    for plan in real.plans:
        for pool, size in plan.sizes.items():
            tenant, gpu_class, _ = parse_pool_name(pool)
            slots[(tenant, gpu_class)] += size
    return dict(slots)


def queue_guarantees(real: FleetRender) -> dict[tuple[str, str], int]:
    found = {}
    for queue in real.rendered.of_kind("ClusterQueue"):
        team = queue["metadata"]["labels"]["modelfleet.io/tenant"]
        for flavor in queue["spec"]["resourceGroups"][0]["flavors"]:
            found[(team, flavor["name"].removeprefix("gpu-"))] = int(gpu_quota(queue, flavor["name"]))
    return found

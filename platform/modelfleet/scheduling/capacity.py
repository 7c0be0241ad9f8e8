"""Declared GPU capacity: GPU classes and, per worker host, the device ids of each class.

`infra/capacity.yaml` is the one source for pools, device leases and spec
validation (and, on Kubernetes, Kueue's ClusterQueues): nothing about GPUs is
hand-made anywhere else. A class's capacity is the number of its devices over
all hosts; a task needing k GPUs of a class runs on one host, so k may not
exceed the largest host of that class.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, StringConstraints, field_validator, model_validator

from modelfleet import paths
from modelfleet.specs.common import StrictModel
from modelfleet.specs.errors import ValueProblem
from modelfleet.specs.platform_files import load_platform_file

GpuClassName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9]{1,19}$")]
HostName = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9.-]{0,62}$")]
CpuQuantity = Annotated[str, StringConstraints(pattern=r"^([0-9]+m|[0-9]+(\.[0-9]+)?)$")]
"""Kubernetes CPU: whole or decimal cores (`8`, `1.5`) or millicores (`500m`)."""
MemoryQuantity = Annotated[str, StringConstraints(pattern=r"^[0-9]+(Ki|Mi|Gi|Ti)?$")]
"""Kubernetes memory in bytes or binary units (`32Gi`, `512Mi`)."""
LabelKey = Annotated[str, StringConstraints(pattern=r"^([a-z0-9]([-a-z0-9.]*[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$")]
LabelValue = Annotated[str, StringConstraints(pattern=r"^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?$")]


@dataclass(frozen=True, order=True)
class Device:
    """One GPU: where it is and which id CUDA_VISIBLE_DEVICES gives it on its host."""

    gpu_class: str
    host: str
    index: int


class NodeTaint(StrictModel):
    """A taint the class's Kubernetes nodes carry; its pods tolerate it."""

    key: LabelKey
    value: LabelValue | None = None
    effect: Literal["NoSchedule", "PreferNoSchedule", "NoExecute"] = "NoSchedule"


class KubernetesPlacement(StrictModel):
    """Where a GPU class's pods run on Kubernetes, and the CPU and memory that come with each GPU.

    `node_labels` select the class's nodes (the Kueue ResourceFlavor's
    nodeLabels and the pods' nodeSelector); `taints` are the taints those
    nodes carry (the flavor's nodeTaints, tolerated by the pods). A pod
    with k GPUs requests k times `cpu_per_gpu` and `memory_per_gpu`, and a
    team's ClusterQueue holds the same multiple of its GPU quota.
    """

    node_labels: dict[LabelKey, LabelValue] = Field(min_length=1, max_length=8)
    taints: list[NodeTaint] = Field(default_factory=list, max_length=8)
    cpu_per_gpu: CpuQuantity = "4"
    memory_per_gpu: MemoryQuantity = "16Gi"

    @classmethod
    def default(cls, gpu_class: str) -> KubernetesPlacement:
        """Nodes labelled `modelfleet.io/gpu-class=<class>`, tainted like most GPU node pools (`nvidia.com/gpu=present:NoSchedule`)."""
        return cls(node_labels={"modelfleet.io/gpu-class": gpu_class},
                   taints=[NodeTaint(key="nvidia.com/gpu", value="present", effect="NoSchedule")])


class Capacity(StrictModel):
    """GPU classes (name -> description), hosts (name -> class -> device ids) and, for Kubernetes, each class's nodes."""

    gpu_classes: dict[GpuClassName, str] = Field(min_length=1)
    hosts: dict[HostName, dict[GpuClassName, list[Annotated[int, Field(ge=0)]]]] = Field(default_factory=dict)
    kubernetes: dict[GpuClassName, KubernetesPlacement] = Field(default_factory=dict)
    """Class -> its nodes on Kubernetes (modelfleet k8s render); a class not listed gets KubernetesPlacement.default."""

    @field_validator("hosts")
    @classmethod
    def _unique_ids(cls, hosts: dict[str, dict[str, list[int]]]) -> dict[str, dict[str, list[int]]]:
        for host, classes in hosts.items():
            ids = [i for devices in classes.values() for i in devices]
            if len(set(ids)) != len(ids):
                raise ValueProblem(f"host {host!r} lists a device id twice", "give each GPU of a host its own id")
        return hosts

    @model_validator(mode="after")
    def _declared_classes(self) -> Capacity:
        for host, classes in self.hosts.items():
            unknown = sorted(set(classes) - set(self.gpu_classes))
            if unknown:
                raise ValueProblem(f"host {host!r} holds undeclared GPU class(es) {unknown}",
                                   f"declare them under gpu_classes, or use one of {sorted(self.gpu_classes)}")
        unknown = sorted(set(self.kubernetes) - set(self.gpu_classes))
        if unknown:
            raise ValueProblem(f"kubernetes names undeclared GPU class(es) {unknown}",
                               f"declare them under gpu_classes, or use one of {sorted(self.gpu_classes)}")
        return self

    def placement(self, gpu_class: str) -> KubernetesPlacement:
        """The class's Kubernetes nodes: as declared under `kubernetes`, else the default labels and taint."""
        return self.kubernetes.get(gpu_class) or KubernetesPlacement.default(gpu_class)

    def devices(self, gpu_class: str | None = None) -> list[Device]:
        """Every device (of one class), in a stable order."""
        return sorted(Device(cls, host, index) for host, classes in self.hosts.items()
                      for cls, ids in classes.items() for index in ids if gpu_class in (None, cls))

    def total(self, gpu_class: str) -> int:
        return sum(len(classes.get(gpu_class, [])) for classes in self.hosts.values())

    def largest_host(self, gpu_class: str) -> int:
        """The most devices of a class on one host: the most one task can lease."""
        return max((len(classes.get(gpu_class, [])) for classes in self.hosts.values()), default=0)

    def classes_with_devices(self) -> list[str]:
        return sorted(cls for cls in self.gpu_classes if self.total(cls))


def load_capacity(path: Path | None = None) -> Capacity:
    """The declared capacity, parsed once per file version; raises SpecError naming the file, the field and the fix."""
    return load_platform_file(path or paths.capacity_file(), Capacity,
                              "create it (see docs/gpu-sharing.md) or set MODELFLEET_CAPACITY_FILE")

"""Declared GPU capacity and the Airflow pools generated from it.

Pools are never hand-made: each GPU class in infra/capacity.yaml becomes a
pool with one slot per device, and a task needing k GPUs takes k slots, so
the pool's open slots are exactly the free devices of that class.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from modelfleet import paths

POOL_PREFIX = "gpu_"


@dataclass(frozen=True)
class PoolDefinition:
    name: str
    slots: int
    description: str


def load_capacity(path: Path | None = None) -> dict[str, int]:
    """GPU class -> device count, as declared by operators."""
    path = path or paths.capacity_file()
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    classes = data.get("gpu_classes") or {}
    if not isinstance(classes, dict) or not all(isinstance(v, int) and v >= 0 for v in classes.values()):
        raise ValueError(f"{path}: gpu_classes must map a class name to a device count >= 0")
    return {str(name): int(count) for name, count in sorted(classes.items())}


def gpu_pool_name(gpu_class: str) -> str:
    return f"{POOL_PREFIX}{gpu_class}"


def pool_definitions(capacity: dict[str, int]) -> list[PoolDefinition]:
    return [
        PoolDefinition(gpu_pool_name(cls), count, f"{count} x {cls} GPUs (generated from infra/capacity.yaml)")
        for cls, count in capacity.items()
    ]

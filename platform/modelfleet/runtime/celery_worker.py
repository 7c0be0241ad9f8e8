"""A Celery worker of the celery mode: checks its GPU inventory against infra/capacity.yaml, then becomes
`airflow celery worker`.

A gpu worker declares its devices with MODELFLEET_GPU_DEVICES (comma-separated ids, as
CUDA_VISIBLE_DEVICES numbers them), else `nvidia-smi` reports them; either must equal the devices
capacity.yaml lists for its host (MODELFLEET_GPU_HOST), or the worker is refused (exit 3) before it
takes a task: leases hand out what capacity.yaml declares, and a worker that has other devices would
run tasks on GPUs nobody leased, or on none.

    python -m modelfleet.runtime.celery_worker --queues gpu --concurrency 2 --celery-hostname gpu-h@x
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path


class InventoryMismatch(RuntimeError):
    """The worker's GPUs are not those infra/capacity.yaml declares for its host."""


def worker_hostname() -> str:
    """`[core] hostname_callable` of a worker: its own name on the task instances it runs."""
    return os.environ.get("MODELFLEET_WORKER_NAME") or socket.getfqdn()


def parse_devices(text: str) -> tuple[int, ...]:
    try:
        return tuple(sorted(int(part) for part in text.replace("\n", ",").split(",") if part.strip()))
    except ValueError:
        raise InventoryMismatch(f"MODELFLEET_GPU_DEVICES={text!r}: expected device ids like `0,1`") from None


def declared_inventory(environ: dict[str, str] | None = None) -> tuple[tuple[int, ...], str]:
    """The worker's own devices and where they came from: MODELFLEET_GPU_DEVICES, else nvidia-smi."""
    environ = os.environ if environ is None else environ
    if (value := environ.get("MODELFLEET_GPU_DEVICES")) is not None:
        return parse_devices(value), "MODELFLEET_GPU_DEVICES"
    if shutil.which("nvidia-smi"):
        out = subprocess.run(["nvidia-smi", "--query-gpu=index", "--format=csv,noheader"],
                             capture_output=True, text=True, timeout=30, check=True).stdout
        return parse_devices(out), "nvidia-smi"
    raise InventoryMismatch("a gpu worker needs its device inventory: set MODELFLEET_GPU_DEVICES (e.g. `0,1`) "
                            "or run it where nvidia-smi lists the GPUs")


def check_inventory(host: str, devices: tuple[int, ...], source: str, capacity: object) -> None:
    """Refuse a worker whose devices differ from those capacity.yaml lists for its host."""
    hosts: dict[str, dict[str, list[int]]] = capacity.hosts  # type: ignore[attr-defined]
    if host not in hosts:
        raise InventoryMismatch(f"MODELFLEET_GPU_HOST={host!r} is not a host of infra/capacity.yaml "
                                f"(hosts: {', '.join(sorted(hosts)) or 'none'}); add it there first (docs/operations.md)")
    expected = tuple(sorted(d for ids in hosts[host].values() for d in ids))
    if devices != expected:
        raise InventoryMismatch(
            f"gpu worker for {host} refused: its devices {list(devices)} ({source}) are not those infra/capacity.yaml "
            f"declares for {host}: {list(expected)}. Fix capacity.yaml (then `modelfleet pools sync`) or the worker's "
            "MODELFLEET_GPU_DEVICES, so leases hand out the devices the host has.")


def main(argv: list[str]) -> int:
    serves_gpu = "--queues" in argv and "gpu" in argv[argv.index("--queues") + 1].split(",")
    if serves_gpu:
        from modelfleet.scheduling.capacity import load_capacity

        host = os.environ.get("MODELFLEET_GPU_HOST", "")
        try:
            if not host:
                raise InventoryMismatch("a gpu worker needs MODELFLEET_GPU_HOST: the host of infra/capacity.yaml it is")
            devices, source = declared_inventory()
            check_inventory(host, devices, source, load_capacity())
        except InventoryMismatch as exc:
            print(f"modelfleet: {exc}", file=sys.stderr)
            return 3
        print(f"modelfleet: gpu worker for {host}: devices {list(devices)} ({source}) match infra/capacity.yaml", flush=True)
    preload()
    sys.argv = [str(Path(sys.executable).parent / "airflow"), "celery", "worker", *argv]
    from airflow.__main__ import main as airflow_main

    airflow_main()
    return 0


def preload() -> None:
    """Import what the stages import before Celery forks its pool (MODELFLEET_WORKER_PRELOAD, default on).

    Each task process is forked from a pool process (Airflow's supervise), so it inherits these
    modules instead of spending seconds of CPU importing them again: the LocalExecutor's forkserver
    preload (config.TASK_PRELOAD), done the Celery way.
    """
    if os.environ.get("MODELFLEET_WORKER_PRELOAD", "on").lower() in ("0", "off", "false", "no"):
        return
    import importlib

    from modelfleet.runtime.config import TASK_PRELOAD

    for module in TASK_PRELOAD:
        try:
            importlib.import_module(module)
        except ImportError as exc:  # a missing optional library costs its tasks the import, nothing more
            print(f"modelfleet: preload of {module} skipped: {exc}", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

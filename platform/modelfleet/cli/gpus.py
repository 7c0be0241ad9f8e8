"""`modelfleet pools sync`, `modelfleet gpus` and `modelfleet gpus audit`: GPU sharing for operators and on-call."""

from __future__ import annotations

import os
import time
from datetime import datetime

from rich.console import Console
from rich.markup import escape
from rich.table import Table


def use_platform_database() -> None:
    """Point Airflow at the embedded platform's database unless the environment already names one."""
    if "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN" not in os.environ:
        from modelfleet.runtime.config import EmbeddedConfig

        os.environ.update(EmbeddedConfig.from_env().environment())


def pools_sync(console: Console) -> int:
    from modelfleet.scheduling.controller import QuotaConfigError, sync

    use_platform_database()
    try:
        plans, changes = sync(lend=False)
    except QuotaConfigError as exc:
        console.print("[red]refused[/red]: the GPU configuration is invalid; no pool was changed.")
        for problem in exc.problems:
            console.print(f"  {escape(str(problem))}", soft_wrap=True)
        return 1
    for name, (old, new) in sorted(changes.items()):
        console.print(f"  {name}: {old} -> {new} slots")
    sizes = ", ".join(f"{p.gpu_class} {sum(p.granted.values())}/{p.capacity}" for p in plans)
    console.print(f"GPU pools at the teams' guarantees ({len(changes)} changed): {sizes}")
    return 0


def show(console: Console) -> int:
    """Inventory with live leases, and per team and class: guarantee, pool, in use, borrowed, waiting."""
    use_platform_database()  # before Airflow is imported: it reads its configuration once
    from airflow.utils.session import create_session

    from modelfleet import paths
    from modelfleet.scheduling.controller import QuotaConfigError, gpu_inputs
    from modelfleet.scheduling.leases import open_leases
    from modelfleet.scheduling.pools import read_states
    from modelfleet.specs.platform_files import shown_path
    try:
        fleet, capacity, layout = gpu_inputs()
    except QuotaConfigError as exc:
        console.print(f"[red]GPU configuration invalid[/red]:\n{escape(str(exc))}", soft_wrap=True)
        return 1
    now = time.time()
    held = {(r.gpu_class, r.host, r.device): r for r in open_leases(now=now)}
    inventory = Table(title=f"GPU inventory ({shown_path(paths.capacity_file())}) and live leases")
    for column in ("class", "host", "device", "tenant", "DAG", "task", "since", "heartbeat"):
        inventory.add_column(column)
    for device in capacity.devices():
        lease = held.get((device.gpu_class, device.host, device.index))
        if lease is None:
            inventory.add_row(device.gpu_class, device.host, str(device.index), "[green]free[/green]", "", "", "", "")
        else:
            since = datetime.fromtimestamp(lease.acquired_at).strftime("%H:%M:%S")
            inventory.add_row(device.gpu_class, device.host, str(device.index), lease.tenant, lease.dag_id, lease.task_id,
                              f"{since} ({now - lease.acquired_at:.0f}s)", f"{now - lease.heartbeat_at:.0f}s ago")
    console.print(inventory)
    with create_session() as session:
        states = read_states(fleet, layout, session)
    teams = Table(title="GPU quotas: guaranteed, pool slots, in use, borrowed, waiting")
    for column in ("class", "tenant", "nominal", "borrowing limit", "pool slots", "in use", "borrowed", "waiting tasks", "waiting GPUs"):
        teams.add_column(column, justify="left" if column in ("class", "tenant") else "right")
    for gpu_class, tenants in sorted(states.items()):
        for t in tenants:
            teams.add_row(gpu_class, t.tenant, str(t.quota.nominal),
                          "none" if t.quota.borrowing_limit is None else str(t.quota.borrowing_limit),
                          str(t.size), str(t.used), f"[yellow]{t.borrowed}[/yellow]" if t.borrowed else "0",
                          str(t.waiting_tasks), str(sum(p.waiting_gpus for p in t.pools)))
    console.print(teams)
    return 0


def audit(console: Console) -> int:
    from modelfleet.scheduling.audit import airflow_task_ends
    from modelfleet.scheduling.audit import audit as run_audit

    use_platform_database()
    report = run_audit(task_ends=airflow_task_ends)
    for conflict in report.conflicts:
        console.print(f"[red]conflict[/red] {escape(str(conflict))}", soft_wrap=True)
    verdict = "[green]no conflicts[/green]" if report.ok else f"[red]{len(report.conflicts)} conflict(s)[/red]"
    console.print(f"GPU lease audit: {report.leases} leases on {report.devices} devices, {report.expired} expired "
                  f"({report.tasks_checked} checked against their task's end): {verdict}")
    return 0 if report.ok else 1

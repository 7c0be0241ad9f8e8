"""`modelfleet status`: fleet health on one screen for the person on call.

Reads Airflow's metadata database directly (like `modelfleet gpus`), so it
answers even when the API server is down, and the platform database for
deadline misses, dead letters and drift. Exit 1 when a component is down or
any check has a finding.
"""

from __future__ import annotations

from datetime import datetime, timezone

from rich.console import Console, Group
from rich.markup import escape
from rich.table import Table

from modelfleet.monitoring.checks import SUCCESS_TARGET, Finding, Rate
from modelfleet.monitoring.health import FleetHealth

SHOWN = 6
"""Rows per section before `… and N more`: one screen."""


def _rate(rate: Rate | None) -> str:
    if rate is None or not rate.total:
        return "[dim]-[/dim]"
    colour = "green" if rate.rate >= SUCCESS_TARGET else "red"
    return f"[{colour}]{rate.rate:.1%}[/{colour}] ({rate.succeeded}/{rate.total})"


def rates_table(health: FleetHealth) -> Table:
    table = Table(title=f"DAG-run success rate (target {SUCCESS_TARGET:.1%})", title_justify="left")
    for column in ("tenant", "1d", "7d", "open dead letters", "deadline misses 1d"):
        table.add_column(column, justify="left" if column == "tenant" else "right")
    by_key = {(r.scope, r.name, r.window): r for r in health.rates}
    tenants = sorted({r.name for r in health.rates if r.scope == "tenant"} | set(health.open_dead_letters or {})
                     | {m.tenant for m in health.misses})
    dlq = health.open_dead_letters
    for tenant in tenants:
        misses = sum(m.tenant == tenant for m in health.misses)
        table.add_row(tenant, _rate(by_key.get(("tenant", tenant, "1d"))), _rate(by_key.get(("tenant", tenant, "7d"))),
                      "n/a" if dlq is None else (f"[red]{dlq.get(tenant, 0)}[/red]" if dlq.get(tenant) else "0"),
                      f"[red]{misses}[/red]" if misses else "0")
    if not tenants:
        table.add_row("[dim]no finished runs in 7 days[/dim]", "", "", "", "")
    return table


def _listing(title: str, lines: list[str]) -> Group | str:
    if not lines:
        return f"[bold]{title}[/bold]: [green]none[/green]"
    shown = lines[:SHOWN] + ([f"… and {len(lines) - SHOWN} more"] if len(lines) > SHOWN else [])
    return Group(f"[bold]{title}[/bold] ({len(lines)}):", *(f"  {escape(line)}" for line in shown))


def sections(health: FleetHealth) -> list:
    snap = health.snapshot
    failing = [f"{t.dag_id}.{t.task_id} run {t.run_id} try {t.try_number}: {t.state}"
               for t in sorted(snap.failed, key=lambda t: t.since or snap.now, reverse=True)]
    pools = [p for p in snap.pools if "__gpu_" in p.name]
    pool_lines = [f"{p.name}: {p.occupied}/{p.slots} slots, {p.waiting} waiting" + ("  [FULL]" if p.waiting and p.occupied >= p.slots else "")
                  for p in sorted(pools, key=lambda p: (-p.waiting, p.name))]
    below = [r for r in health.rates if r.scope == "pipeline" and r.window == "1d" and r.rate < SUCCESS_TARGET]
    by_check: dict[str, list[Finding]] = {}
    for finding in health.findings:
        by_check.setdefault(finding.check, []).append(finding)
    return [
        rates_table(health),
        _listing("pipelines below target (1d)", [f"{r.name}: {r.rate:.1%} ({r.succeeded}/{r.total})" for r in below]),
        _listing("failing tasks (1d)", failing),
        _listing("stuck in queued", [f.message for f in by_check.get("stuck_queued", [])]),
        _listing("GPU pools", pool_lines) if pools else "[bold]GPU pools[/bold]: [dim]none created (`modelfleet pools sync`)[/dim]",
        _listing("drift", [f.message for f in by_check.get("drift", [])]),
        _listing("deadline misses (1d)", [f.message for f in by_check.get("deadline_missed", [])]),
        _listing("dead letters growing", [f.message for f in by_check.get("dead_letters", [])]),
    ]


def read_health() -> FleetHealth:
    from modelfleet.cli.gpus import use_platform_database

    use_platform_database()  # before Airflow is imported: it reads its configuration once
    from airflow.utils.session import create_session

    from modelfleet.monitoring.health import fleet_health
    from modelfleet.monitoring.records import from_session

    with create_session() as session:
        snapshot = from_session(session, datetime.now(timezone.utc))
    return fleet_health(snapshot)


def main(console: Console) -> int:
    from modelfleet.runtime import platform
    from modelfleet.runtime.config import EmbeddedConfig

    config = EmbeddedConfig.from_env()
    states = platform.states(config)
    console.print("components: " + "  ".join(f"{s.name} " + ("[green]up[/green]" if s.running else "[red]stopped[/red]")
                                             for s in states) + f"  [dim]({config.home})[/dim]")
    try:
        health = read_health()
    except Exception as exc:  # noqa: BLE001 - the component line above is still worth having
        console.print(f"[red]fleet health not read[/red]: {escape(str(exc))}")
        return 1
    for section in sections(health):
        console.print(section)
    verdict = ("[green]healthy[/green]" if not health.findings
               else f"[red]{len(health.findings)} finding(s)[/red]: " + ", ".join(
                   f"{n} {c}" for c, n in sorted(_count(health.findings).items())))
    console.print(f"fleet: {verdict}  (runbook: docs/oncall.md)")
    return 0 if all(s.running for s in states) and not health.findings else 1


def _count(findings: list[Finding]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for finding in findings:
        counts[finding.check] = counts.get(finding.check, 0) + 1
    return counts

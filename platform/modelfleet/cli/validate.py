"""`modelfleet validate [PATH]`: every spec, or one tenant's, with the same messages the UI shows."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from modelfleet import paths
from modelfleet.specs.loader import Fleet, load_fleet


def tenant_from_path(target: str | None) -> str | None:
    """`tenants/payments`, `tenants/payments/models/x.yaml` or `payments` -> `payments`."""
    if not target:
        return None
    path = Path(target).resolve()
    base = paths.tenants_dir()
    if path.is_relative_to(base) and path != base:
        return path.relative_to(base).parts[0]
    if path == base:
        return None
    return Path(target).name if not Path(target).exists() else path.name


def report(fleet: Fleet, console: Console) -> int:
    table = Table(title="modelfleet specs", show_lines=False)
    for column in ("tenant", "pipelines", "valid", "broken"):
        table.add_column(column, justify="left" if column == "tenant" else "right")
    tenant_ids = sorted({*fleet.tenants, *(b.tenant_id for b in fleet.broken)})
    for tid in tenant_ids:
        ok = len(fleet.for_tenant(tid))
        bad = sum(1 for b in fleet.broken if b.tenant_id == tid)
        table.add_row(tid, str(ok + bad), str(ok), f"[red]{bad}[/red]" if bad else "0")
    console.print(table)
    problems = fleet.all_problems
    for problem in problems:
        console.print(f"[red]error[/red] {escape(str(problem))}", highlight=False, soft_wrap=True)
    if problems:
        console.print(f"[red]{len(problems)} problem(s)[/red]; each line names the file, the field and the fix.")
        return 1
    console.print(f"[green]all {len(fleet.pipelines)} pipelines valid[/green]")
    return 0


def main(target: str | None, console: Console) -> int:
    tenant = tenant_from_path(target)
    if tenant and not (paths.tenants_dir() / tenant).is_dir():
        console.print(f"[red]error[/red] {target}: no such tenant folder under {paths.tenants_dir()}")
        return 2
    return report(load_fleet(only_tenant=tenant), console)

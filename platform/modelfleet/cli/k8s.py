"""`modelfleet k8s render`: the Kubernetes mode's manifests, from the same capacity and quotas as the pools."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.table import Table


def render(console: Console, out: Path | None = None, values: Path | None = None, release: str = "airflow",
           namespace: str = "airflow") -> int:
    """Render, check (Kubernetes schemas, Kueue's rules) and write; nothing is written when a check fails."""
    from modelfleet import paths
    from modelfleet.k8s import checks
    from modelfleet.k8s.helm import Deployment
    from modelfleet.k8s.render import render as render_all
    from modelfleet.k8s.render import write
    from modelfleet.scheduling.controller import QuotaConfigError, gpu_inputs
    from modelfleet.scheduling.pools import guarantee_plans

    try:
        fleet, capacity, layout = gpu_inputs()
    except QuotaConfigError as exc:
        console.print("[red]refused[/red]: the GPU configuration is invalid; nothing was rendered.")
        for problem in exc.problems:
            console.print(f"  {escape(str(problem))}", soft_wrap=True)
        return 1
    try:
        deploy = Deployment.load(values, release, namespace)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        console.print(f"[red]refused[/red]: the Helm values cannot be read ({escape(str(exc))}); nothing was rendered.")
        return 1
    rendered = render_all(fleet, capacity, guarantee_plans(fleet, capacity, layout), deploy)
    problems = checks.kueue_problems(rendered.objects()) + checks.core_problems(rendered.objects())
    if problems:
        console.print(f"[red]refused[/red]: {len(problems)} rendered object(s) would be rejected; nothing was written.")
        for problem in problems:
            console.print(f"  {escape(problem)}", soft_wrap=True)
        return 1
    out = out or paths.state_dir() / "k8s"
    written = write(rendered, out)
    table = Table(title="Kueue ClusterQueues (cohort modelfleet): GPUs per team and class")
    for column in ("team", "flavor", "nominal", "borrowing limit", "lending limit"):
        table.add_column(column, justify="left" if column in ("team", "flavor") else "right")
    for q in rendered.quotas:
        table.add_row(q.tenant, f"gpu-{q.gpu_class}", str(q.nominal), "none" if q.borrowing_limit is None else str(q.borrowing_limit),
                      "all" if q.lending_limit is None else str(q.lending_limit))
    console.print(table)
    for broken in fleet.broken:
        console.print(f"[yellow]skipped[/yellow] {broken.dag_id}: its spec is invalid (`modelfleet validate`)")
    console.print(f"wrote {len(written)} files to {out} ({len(rendered.objects())} objects, checked against Kubernetes "
                  f"{checks.KUBERNETES_VERSION} schemas and Kueue's rules)")
    return 0

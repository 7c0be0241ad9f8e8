"""Terminal front-end of the embedded platform: friendly messages, progress, summary tables."""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from datetime import date

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from modelfleet.runtime import platform
from modelfleet.runtime.config import ADMIN_USER, EmbeddedConfig
from modelfleet.runtime.platform import PlatformError


def up(console: Console) -> int:
    config = EmbeddedConfig.from_env()
    try:
        platform.up(config, say=lambda m: console.print(f"[dim]up:[/dim] {m}"))
    except PlatformError as exc:
        console.print(f"[red]error[/red] {exc}")
        return 1
    console.print("[green]modelfleet is up[/green]")
    print_login(console, config)
    console.print("schedules: " + ("on (specs' cron and asset schedules)" if config.schedules else
                                   "off (pipelines run on demand: `modelfleet run`; `modelfleet up --schedules` turns them on)"))
    return 0


def print_login(console: Console, config: EmbeddedConfig) -> None:
    """How to reach the UIs `up` and `run` leave running: a newcomer's first login needs the generated password."""
    console.print(f"Airflow UI {config.api_url}  (login: user {ADMIN_USER}, password {escape(platform.admin_password(config))})")
    console.print(f"MLflow UI {config.mlflow_url}; state in {config.home}; stop with `modelfleet down`")


def down(console: Console) -> int:
    platform.down(EmbeddedConfig.from_env(), say=lambda m: console.print(f"[dim]down:[/dim] {m}"))
    return 0


def status(console: Console) -> int:
    """Components and fleet health on one screen (cli/status.py)."""
    from modelfleet.cli.status import main

    return main(console)


def run(console: Console, logical_date: date, tenants: list[str] | None, pipelines: list[str] | None, timeout: float) -> int:
    from modelfleet.runtime.api_client import AirflowApi
    from modelfleet.runtime.fleet_run import model_outcomes, wait_for_dags
    from modelfleet.runtime.landing import land
    from modelfleet.specs.loader import load_fleet

    started = time.monotonic()
    config = EmbeddedConfig.from_env()
    fleet = load_fleet()
    chosen = [p for p in fleet.pipelines if (not tenants or p.tenant.id in tenants) and (not pipelines or p.dag_id in pipelines)]
    broken = [b for b in fleet.broken if (not tenants or b.tenant_id in tenants) and (not pipelines or b.dag_id in pipelines)]
    for item in broken:
        console.print(f"[red]skipped[/red] {item.dag_id}: invalid spec\n  " + "\n  ".join(str(p) for p in item.problems))
    if not chosen:
        console.print("[red]error[/red] no valid pipeline selected (see `modelfleet validate`)")
        return 1
    console.print(f"logical date {logical_date}: {len(chosen)} pipelines of {len({p.tenant.id for p in chosen})} tenants")
    written = land(chosen, logical_date)
    console.print(f"landed input data: {len(written)} new file(s)")
    try:
        platform.up(config, say=lambda m: console.print(f"[dim]up:[/dim] {m}"))
    except PlatformError as exc:
        console.print(f"[red]error[/red] {exc}")
        return 1
    api = AirflowApi(config)
    phases = fleet_phases(chosen, whole_tenants=not pipelines)
    wait_for_dags(api, {d for phase in phases.values() for d in phase})
    deadline = time.monotonic() + timeout
    results = []
    for name, dag_ids in phases.items():
        if name == "scoring":  # score only with models whose pipeline succeeded in this run
            succeeded = {r.dag_id for r in results if r.state == "success"}
            dag_ids = [d for d in dag_ids if d.removesuffix("__scoring") in succeeded]
        if dag_ids:
            results += run_phase(console, api, name, dag_ids, logical_date, deadline)
    outcomes = model_outcomes(api, results, logical_date)
    code = summarise(console, results, len(broken), time.monotonic() - started, config, outcomes, read_registry(console, config))
    report(console, config)
    return code


def report(console: Console, config: EmbeddedConfig) -> None:
    """Write the fleet report and say where it and the Fleet page are.

    In a process of its own: Airflow reads its configuration once per
    process, and this one was not started with the platform's.
    """
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "modelfleet.cli.main", "report"], capture_output=True, text=True, timeout=300)
    said = (done.stdout.strip().splitlines() or [done.stderr.strip()[-300:]])[-1]
    console.print(escape(said) if done.returncode == 0 else f"[yellow]report not written[/yellow]: {escape(said)}")
    console.print(f"Fleet page: {config.api_url}/plugin/fleet")


def fleet_phases(chosen: list, whole_tenants: bool) -> dict[str, list[str]]:
    """Training (with the tenants' feature DAGs when whole tenants run), then batch scoring."""
    from modelfleet.dag_factory.features import features_dag_id
    from modelfleet.dag_factory.scoring import scoring_dag_id, wants_scoring_dag

    training = sorted(p.dag_id for p in chosen)
    if whole_tenants:
        training += sorted({features_dag_id(p.tenant.id) for p in chosen})
    scoring = sorted(scoring_dag_id(p) for p in chosen if wants_scoring_dag(p))
    return {"training": training, "scoring": scoring}


def run_phase(console: Console, api: object, name: str, dag_ids: list[str], logical_date: date, deadline: float) -> list:
    from modelfleet.runtime.fleet_run import collect, start_runs

    actions = start_runs(api, dag_ids, logical_date)
    replayed = [d for d, a in actions.items() if a.startswith("replay")]
    if replayed:
        console.print(f"replaying failed tasks of {len(replayed)} earlier run(s): {', '.join(replayed)}")
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=console) as progress:
        bar = progress.add_task(f"{name}: tasks finished", total=None)
        while True:
            results, counts = collect(api, dag_ids, logical_date)
            finished = sum(n for state, n in counts.items() if state in ("success", "failed", "skipped", "upstream_failed", "removed"))
            progress.update(bar, total=sum(counts.values()) or None, completed=finished,
                            description=f"{name}: {len(dag_ids)} DAGs, tasks finished ({counts.get('running', 0)} running, {counts.get('failed', 0)} failed)")
            if all(r.state in ("success", "failed") for r in results) or time.monotonic() > deadline:
                return results
            platform.revive(api.config, say=lambda m: progress.console.print(f"[yellow]watchdog:[/yellow] {m}"))
            time.sleep(2.0)


def read_registry(console: Console, config: EmbeddedConfig) -> dict:
    """Registry counts per tenant; an unreadable registry is reported, not fatal."""
    from modelfleet.runtime.fleet_run import registry_counts

    try:
        return registry_counts(config.mlflow_url)
    except Exception as exc:  # noqa: BLE001 - the run's outcome matters more than the registry view
        console.print(f"[yellow]registry not read[/yellow]: {exc}")
        return {}


def summarise(console: Console, results: list, broken: int, elapsed: float, config: EmbeddedConfig,
              outcomes: dict[str, dict[str, dict]], registry: dict) -> int:
    """Per tenant: runs, and per model what the run did (deployed, kept, reduced path, no champion).

    Exits 1 when a DAG run failed, a spec is broken, or a model is left with
    no champion: a fleet that does not serve one of its models is not green.
    """
    from modelfleet.operators.summary import DEPLOYED, KEPT, NO_CHAMPION, OUTCOMES, REDUCED_PATH
    from modelfleet.runtime.fleet_run import RegistryCounts

    per_tenant: dict[str, list] = defaultdict(list)
    for result in results:
        per_tenant[result.tenant].append(result)
    table = Table(title="fleet run")
    columns = ("tenant", "pipelines", "succeeded", "failed", "features", "scoring",
               DEPLOYED, KEPT, REDUCED_PATH, NO_CHAMPION, "models", "versions", "champions")
    for column in columns:
        table.add_column(column, justify="left" if column == "tenant" else "right")
    for tenant, items in sorted(per_tenant.items()):
        trained = [r for r in items if r.kind == "pipeline"]
        ok = sum(r.state == "success" for r in trained)
        bad = len(trained) - ok
        reg = registry.get(tenant, RegistryCounts())
        counts = Counter(m["outcome"] for r in trained for m in outcomes.get(r.dag_id, {}).values())
        table.add_row(tenant, str(len(trained)), str(ok), f"[red]{bad}[/red]" if bad else "0",
                      _ratio(items, "features"), _ratio(items, "scoring"), str(counts[DEPLOYED]), str(counts[KEPT]),
                      f"[yellow]{counts[REDUCED_PATH]}[/yellow]" if counts[REDUCED_PATH] else "0",
                      f"[red]{counts[NO_CHAMPION]}[/red]" if counts[NO_CHAMPION] else "0",
                      str(reg.models), str(reg.versions), str(reg.champions))
    console.print(table)
    undeployed = [(dag_id, name, model) for dag_id, models in sorted(outcomes.items())
                  for name, model in sorted(models.items()) if model["outcome"] != DEPLOYED]
    if undeployed:
        detail = Table(title="models this run did not deploy")
        for column in ("pipeline", "model", "outcome", "why"):
            detail.add_column(column)
        for dag_id, name, model in undeployed:
            colour = {NO_CHAMPION: "red", REDUCED_PATH: "yellow"}.get(model["outcome"], "default")
            detail.add_row(dag_id, name, f"[{colour}]{model['outcome']}[/{colour}]", escape(model["why"]))
        console.print(detail)
    failed = [r for r in results if r.state != "success"]
    for result in failed:
        console.print(f"[red]{result.state}[/red] {result.dag_id}: failed tasks {', '.join(result.failed_tasks) or '-'} "
                      f"(logs: {config.api_url}/dags/{result.dag_id})")
    trained = [r for r in results if r.kind == "pipeline"]
    totals = Counter(m["outcome"] for models in outcomes.values() for m in models.values())
    console.print(f"{sum(r.state == 'success' for r in trained)} of {len(trained)} pipelines succeeded"
                  f" ({len(results)} DAG runs, {len(failed)} failed) in {elapsed:.0f}s"
                  + (f"; {broken} skipped for invalid specs" if broken else ""))
    console.print("models: " + ", ".join(f"{totals[o]} {o}" for o in OUTCOMES))
    if totals[NO_CHAMPION]:
        console.print(f"[red]{totals[NO_CHAMPION]} model(s) have no champion[/red]: nothing serves them until a run deploys one")
    print_login(console, config)
    return 1 if failed or broken or totals[NO_CHAMPION] else 0


def _ratio(items: list, kind: str) -> str:
    """`ok/total` DAG runs of one kind, `-` when none ran."""
    chosen = [r for r in items if r.kind == kind]
    return f"{sum(r.state == 'success' for r in chosen)}/{len(chosen)}" if chosen else "-"

"""`modelfleet dlq list|show|replay|discard`: the dead-letter queue for on-call.

Replay goes through Airflow's REST API, the way `modelfleet run` replays a
failed run (runtime/fleet_run.start_runs): the run's failed and
upstream-failed tasks are cleared and run again for the same logical date;
a run that no longer exists is triggered again under its own run id and
logical date. Tasks are idempotent per logical date, so a replay never
duplicates a model version, a score file or a row.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from modelfleet import dead_letters
from modelfleet.error_class import PERMANENT


def _when(seconds: float | None) -> str:
    return datetime.fromtimestamp(seconds).strftime("%Y-%m-%d %H:%M:%S") if seconds else ""


def _task(entry: Any) -> str:
    return entry.task_id if entry.map_index < 0 else f"{entry.task_id}[{entry.map_index}]"


def list_entries(console: Console, state: str | None, tenant: str | None) -> int:
    found = dead_letters.entries(state=None if state == "all" else state, tenant=tenant)
    table = Table(title=f"dead-letter queue: {len(found)} {state if state != 'all' else ''} entr{'y' if len(found) == 1 else 'ies'}")
    for column in ("id", "state", "class", "tenant", "DAG", "task", "run", "try", "failed at", "error"):
        table.add_column(column, overflow="fold")  # whole ids: on-call copies them into commands
    for e in found:
        color = "red" if e.error_class == PERMANENT else "yellow"
        table.add_row(str(e.id), e.state, f"[{color}]{e.error_class}[/{color}]", e.tenant, e.dag_id, _task(e), e.run_id,
                      str(e.try_number), _when(e.failed_at), escape(e.message.splitlines()[0][:100] if e.message else ""))
    console.print(table)
    return 0


def show(console: Console, entry_id: int) -> int:
    entry = dead_letters.get(entry_id)
    if entry is None:
        console.print(f"[red]no dead-letter entry {entry_id}[/red] (`modelfleet dlq list --state all`)")
        return 1
    fields = [("state", entry.state + (f" ({_when(entry.state_changed_at)}: {entry.note})" if entry.note else "")),
              ("tenant", entry.tenant), ("DAG", entry.dag_id), ("task", _task(entry)), ("run", entry.run_id),
              ("logical date", entry.logical_date or "none (asset-triggered run)"), ("try", str(entry.try_number)),
              ("error class", f"{entry.error_class} (decided by {entry.error_type or 'nothing: no exception'})"),
              ("failed at", _when(entry.failed_at))]
    for name, value in fields:
        console.print(f"[bold]{name:>13}[/bold]  {escape(value)}", soft_wrap=True)
    console.print(f"[bold]{'message':>13}[/bold]\n{escape(entry.message)}", soft_wrap=True)
    log = f"$MODELFLEET_HOME/airflow/logs/dag_id={entry.dag_id}/run_id={entry.run_id}/task_id={entry.task_id}/attempt={entry.try_number}.log"
    console.print(f"log: {log}\nnext: `modelfleet dlq replay {entry.id}` once the cause is fixed, or `modelfleet dlq discard {entry.id}`")
    return 0


def replay(console: Console, entry_ids: list[int], whole_run: bool = False) -> int:
    """Clear the failed tasks of each entry's run (every task with `whole_run`), or trigger the run again; mark replayed."""
    from modelfleet.cli.gpus import use_platform_database
    from modelfleet.runtime.api_client import AirflowApi
    from modelfleet.runtime.config import EmbeddedConfig

    use_platform_database()
    found = [dead_letters.get(i) for i in entry_ids]
    missing = [i for i, e in zip(entry_ids, found) if e is None]
    refused = [e.id for e in found if e is not None and e.state == dead_letters.DISCARDED]
    if missing or refused:
        console.print(f"[red]refused[/red]: {'no entries ' + str(missing) if missing else ''}"
                      f"{' ' if missing and refused else ''}{'discarded entries ' + str(refused) if refused else ''}; nothing replayed")
        return 1
    api = AirflowApi(EmbeddedConfig.from_env())
    runs = sorted({(e.dag_id, e.run_id, e.logical_date) for e in found})
    for dag_id, run_id, logical_date in runs:
        action = replay_run(api, dag_id, run_id, logical_date, whole_run)
        # Every open entry of the run is covered: clearing a run's failed tasks reruns them all.
        covered = [e.id for e in dead_letters.entries(dag_id=dag_id, run_id=run_id) if e.state == dead_letters.OPEN]
        ids = sorted(set(covered) | {e.id for e in found if (e.dag_id, e.run_id) == (dag_id, run_id)})
        dead_letters.set_state(ids, dead_letters.REPLAYED, note=action)
        console.print(f"{dag_id} {run_id}: {action}; entries {', '.join(map(str, ids))} replayed")
    return 0


def replay_run(api: Any, dag_id: str, run_id: str, logical_date: str | None, whole_run: bool) -> str:
    """One run through the API: what was done, in words."""
    run = api.get_run(dag_id, run_id)
    if run is None:
        api.trigger(dag_id, run_id, logical_date)
        return f"run was gone: triggered again for {logical_date}"
    if whole_run:
        api.request("POST", f"/dags/{dag_id}/clearTaskInstances",
                    json={"dry_run": False, "dag_run_id": run_id, "only_failed": False, "reset_dag_runs": True})
        return "cleared every task of the run"
    api.clear_failed(dag_id, run_id)
    return "cleared the failed tasks of the run"


def discard(console: Console, entry_ids: list[int], reason: str) -> int:
    changed = dead_letters.set_state(entry_ids, dead_letters.DISCARDED, note=reason)
    console.print(f"{changed} entr{'y' if changed == 1 else 'ies'} discarded: {escape(reason)}")
    return 0 if changed == len(entry_ids) else 1

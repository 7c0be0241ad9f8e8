"""The monitoring checks: pure functions from what was read (a Snapshot, stored misses, dead letters, drift) to findings.

Each finding names its team (None for the platform's own), what it is about,
and a one-line message that says what is wrong; docs/oncall.md says what to do.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from modelfleet.monitoring.records import WINDOWS, Snapshot
from modelfleet.scheduling.pools import parse_pool_name

SUCCESS_TARGET = 0.995
"""The fleet's DAG-run success-rate target (per team and per pipeline, over each window)."""
STUCK_QUEUED_AFTER = timedelta(minutes=10)
"""A task queued this long has not been picked up by a worker: the executor or its workers are in trouble."""
DLQ_GROWTH_WINDOW = timedelta(hours=1)
DLQ_GROWTH_ALERT = 3
"""New dead letters of one team within DLQ_GROWTH_WINDOW that make a finding (each failure alerted already)."""
MISSES_WINDOW = timedelta(days=1)


@dataclass(frozen=True)
class Finding:
    check: str
    tenant: str | None
    subject: str
    message: str

    @property
    def key(self) -> str:
        """Stable while the same problem lasts: one alert, then reminders, then one resolve."""
        return f"{self.check}:{self.subject}"


@dataclass(frozen=True)
class Rate:
    scope: str
    """`tenant` or `pipeline`."""
    name: str
    window: str
    succeeded: int
    failed: int

    @property
    def total(self) -> int:
        return self.succeeded + self.failed

    @property
    def rate(self) -> float:
        return self.succeeded / self.total if self.total else 1.0


def tenant_of(dag_id: str) -> str | None:
    """Every fleet DAG id starts with `<team>__`; platform DAGs have no double underscore."""
    return dag_id.split("__", 1)[0] if "__" in dag_id else None


def success_rates(snapshot: Snapshot) -> list[Rate]:
    """Finished runs (success or failed) per team and per DAG of the fleet, over each window."""
    counts: dict[tuple[str, str, str], list[int]] = defaultdict(lambda: [0, 0])
    for run in snapshot.runs:
        tenant = tenant_of(run.dag_id)
        if tenant is None:
            continue
        for window, length in WINDOWS.items():
            if run.end >= snapshot.now - length:
                for key in (("tenant", tenant, window), ("pipeline", run.dag_id, window)):
                    counts[key][0 if run.state == "success" else 1] += 1
    return [Rate(scope, name, window, ok, bad) for (scope, name, window), (ok, bad) in sorted(counts.items())]


def rate_findings(rates: Iterable[Rate]) -> list[Finding]:
    return [Finding("success_rate", r.name if r.scope == "tenant" else tenant_of(r.name), f"{r.scope}:{r.name}:{r.window}",
                    f"{r.name}: {r.rate:.1%} of DAG runs succeeded over {r.window} ({r.succeeded} of {r.total}), "
                    f"below the {SUCCESS_TARGET:.1%} target")
            for r in rates if r.rate < SUCCESS_TARGET]


def stuck_findings(snapshot: Snapshot, after: timedelta = STUCK_QUEUED_AFTER) -> list[Finding]:
    found = []
    for ti in snapshot.queued:
        if ti.since is not None and snapshot.now - ti.since >= after:
            index = f"[{ti.map_index}]" if ti.map_index >= 0 else ""
            minutes = (snapshot.now - ti.since).total_seconds() / 60
            found.append(Finding("stuck_queued", tenant_of(ti.dag_id), f"{ti.dag_id}.{ti.task_id}{index}:{ti.run_id}",
                                 f"{ti.dag_id}.{ti.task_id}{index} (run {ti.run_id}) queued for {minutes:.0f} min: no worker took it"))
    return found


def pool_findings(snapshot: Snapshot) -> list[Finding]:
    """GPU pools with every slot taken and tasks waiting: the team's GPU work is queueing."""
    found = []
    for pool in snapshot.pools:
        parsed = parse_pool_name(pool.name)
        if parsed is None or pool.slots < 0 or pool.waiting == 0 or pool.occupied < pool.slots:
            continue
        found.append(Finding("pool_saturated", parsed[0], pool.name,
                             f"GPU pool {pool.name} is full ({pool.occupied}/{pool.slots} slots) with {pool.waiting} task(s) waiting"))
    return found


def miss_findings(misses: Sequence[Any]) -> list[Finding]:
    """Deadline misses recorded by the Deadline Alert callback, per pipeline (each was alerted when it happened)."""
    by_dag: dict[str, list[Any]] = defaultdict(list)
    for miss in misses:
        by_dag[miss.dag_id].append(miss)
    return [Finding("deadline_missed", items[0].tenant, dag_id,
                    f"{dag_id}: {len(items)} run(s) missed their deadline in the last {MISSES_WINDOW.days}d "
                    f"(latest {items[-1].run_id}, {items[-1].run_state or 'state unknown'})")
            for dag_id, items in sorted(by_dag.items())]


def dead_letter_findings(open_entries: Sequence[Any], now: float) -> list[Finding]:
    """Teams whose open dead letters grew by DLQ_GROWTH_ALERT or more within DLQ_GROWTH_WINDOW."""
    since = now - DLQ_GROWTH_WINDOW.total_seconds()
    total: dict[str, int] = defaultdict(int)
    recent: dict[str, int] = defaultdict(int)
    for entry in open_entries:
        total[entry.tenant] += 1
        recent[entry.tenant] += entry.failed_at >= since
    return [Finding("dead_letters", tenant, tenant,
                    f"{tenant}: {recent[tenant]} new dead letter(s) in the last hour, {total[tenant]} open")
            for tenant in sorted(total) if recent[tenant] >= DLQ_GROWTH_ALERT]


def drift_findings(rows: Sequence[dict[str, Any]]) -> list[Finding]:
    """Per champion, the drifted columns of its latest check (store.latest_drift)."""
    by_model: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        if row["drifted"]:
            by_model[row["model_name"]].append(row)
    from modelfleet.monitoring.drift import PREDICTIONS

    found = []
    for model, drifted in sorted(by_model.items()):
        first = drifted[0]
        columns = ", ".join(f"{'predictions' if r['column'] == PREDICTIONS else r['column']} (PSI {r['psi']:.2f})" for r in drifted)
        found.append(Finding("drift", tenant_of(model), f"{model}:v{first['champion_version']}:{first['data_date']}",
                             f"{model} champion v{first['champion_version']}: data of {first['data_date']} drifted from its "
                             f"training data in {columns}"))
    return found

"""The scheduler at 1,000 pipelines: trigger -> first task start with a big fleet registered, against none.

Issue #15, part 3. Per executor mode (embedded, then Celery; one platform at a time on this 2-core machine), two
platforms in the same go, each with the executor benchmark's DAG `bench__chain` (tests/benchmarks/executor_dags):

- **baseline**: the DAG folder holds only `chain.py`;
- **fleet**: the same plus the per-team DAG files (`tenants/<team>.py`, written by modelfleet.dag_files) of a generated
  fleet (tests/benchmarks/generated_fleet.py) of 1,000 pipelines.

Both run with schedules on (`MODELFLEET_SCHEDULES=on`: Airflow's `use_job_schedule` on, so every scheduler loop
queries for due runs; new DAGs start paused) and the same MODELFLEET_TENANTS_DIR, so the only difference is the
fleet's DAGs. The fleet's cron schedules (pipelines and batch scoring) are rewritten to once a year on 31 December
(see SCHEDULE: `0 0 1 1 *` would be due at once), and its pipeline, scoring and placeholder DAGs are unpaused: they
are live candidates of the scheduler's due-run query, yet none runs. The teams' feature DAGs keep their fixed
`@daily` (due at once if unpaused) and stay paused, so their asset-scheduled consumers never run either. The
benchmark refuses to unpause a DAG due within the hour and counts the fleet runs created (expected: none).

Before triggering, the fleet case waits until every DAG the specs call for is registered (REST API DAG list) and
fails on any import error. Then N runs of `bench__chain` are triggered at once and measured by
executor_latency._load; the CPU the DAG processor and the scheduler (process trees) used during the load is read
with psutil.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import psutil
import yaml

from modelfleet.runtime.config import EmbeddedConfig
from tests.benchmarks import executor_latency as ex
from tests.benchmarks.generated_fleet import generated_fleet
from tests.benchmarks.overhead import scoped_environ

HEADING = "## Scheduler at 1,000 pipelines"
PIPELINES = 1000
RUNS = 100
MODES = ("embedded", "celery")
CASES = ("baseline", "fleet")
SCHEDULE = "0 0 31 12 *"
"""Yearly on 31 December. With catchup off, Airflow 3's cron timetable makes the next run the later of the last
cron point before now and the first one at or after start_date (2026-01-01): for `0 0 1 1 *` that is 2026-01-01,
due at once; for 31 December it is 2026-12-31, ahead (checked before unpausing, see unpause_fleet)."""
UNPAUSE_BATCH = 50
FEATURES_TAG = "features"
REGISTRATION_TIMEOUT = 3600.0


def yearly_schedules(tenants: Path) -> int:
    """Rewrite every cron schedule of the generated specs (pipelines, batch scoring) to once a year; returns specs changed.

    Asset schedules stay: their feature DAGs stay paused, so they never fire.
    """
    changed = 0
    for path in sorted(tenants.glob("*/models/*.yaml")):
        spec = yaml.safe_load(path.read_text())
        if not isinstance(spec.get("schedule"), dict):
            spec["schedule"] = SCHEDULE
        deployment = spec.setdefault("deployment", {})
        if deployment.get("target", "batch") == "batch":
            deployment["scoring_schedule"] = SCHEDULE
        path.write_text(yaml.safe_dump(spec, sort_keys=False))
        changed += 1
    return changed


def expected_dag_ids(tenants: Path, env: dict[str, str]) -> set[str]:
    """Every DAG the fleet's DAG files should register: pipelines, broken placeholders, scoring DAGs, a feature DAG
    per team with a valid pipeline, and bench__chain."""
    from modelfleet.dag_factory.features import features_dag_id
    from modelfleet.dag_factory.scoring import scoring_dag_id, wants_scoring_dag
    from modelfleet.specs.loader import load_fleet

    with scoped_environ({k: v for k, v in env.items() if k.startswith("MODELFLEET_")}):
        fleet = load_fleet(tenants)
    ids = {p.dag_id for p in fleet.pipelines} | {b.dag_id for b in fleet.broken}
    ids |= {scoring_dag_id(p) for p in fleet.pipelines if wants_scoring_dag(p)}
    ids |= {features_dag_id(t) for t in {p.tenant.id for p in fleet.pipelines}}
    return ids | {ex.DAG_ID}


def dag_folder(target: Path, tenants: Path | None) -> Path:
    """A DAG folder with chain.py and, given `tenants`, the teams' generated DAG files."""
    from modelfleet import dag_files

    target.mkdir(parents=True)
    if tenants is not None:
        dag_files.apply(dag_files.plan(dags=target, tenants=tenants))
    # Written last, so the newest file: the processor parses newest first (modified_time) and bench__chain is due
    # within executor_latency's wait_for_dags timeout however long the teams' files take.
    shutil.copy(ex.DAGS / "chain.py", target / "chain.py")
    return target


def _total(api: Any, path: str, params: dict[str, Any] | None = None) -> int:
    return int(api.request("GET", path, params={**(params or {}), "limit": 1})["total_entries"])


def _import_errors(api: Any) -> list[str]:
    errors = api.request("GET", "/importErrors", params={"limit": 100})
    return [f"{e.get('filename')}: {(e.get('stack_trace') or '')[-400:]}" for e in errors["import_errors"]]


def wait_registered(api: Any, expected: set[str], timeout: float = REGISTRATION_TIMEOUT) -> float:
    """Seconds until the DAG list holds every expected DAG; raises on an import error or a timeout."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if errors := _import_errors(api):
            raise RuntimeError(f"{len(errors)} import errors: {errors[:3]}")
        if _total(api, "/dags") >= len(expected):
            missing = expected - api.dag_ids()
            if not missing:
                return time.monotonic() - started
            raise RuntimeError(f"{len(missing)} expected DAGs not registered, others are: {sorted(missing)[:5]}")
        time.sleep(5)
    raise TimeoutError(f"{_total(api, '/dags')} of {len(expected)} DAGs registered after {timeout:.0f} s")


def registration_s(api: Any, called: datetime) -> float:
    """From `up` being called to the last DAG's parse (the DAG list's `last_parsed_time`). A file re-parsed since
    (every MODELFLEET_DAG_REPARSE) would move it later, so it is exact while registration takes less."""
    parsed = [ex._time(d["last_parsed_time"]) for d in api._pages("/dags", "dags", {}) if d.get("last_parsed_time")]
    return (max(parsed) - called).total_seconds() if parsed else float("nan")


def _fleet_dags(api: Any) -> list[dict]:
    return [d for d in api._pages("/dags", "dags", {}) if d["dag_id"] != ex.DAG_ID]


def _is_features(dag: dict) -> bool:
    return any(tag["name"] == FEATURES_TAG for tag in dag.get("tags", []))


def _due_soon(dags: list[dict]) -> list[str]:
    """DAGs that would get a scheduled run within the hour once unpaused."""
    soon = datetime.now(timezone.utc) + timedelta(hours=1)
    return [d["dag_id"] for d in dags if d.get("next_dagrun_run_after") and ex._time(d["next_dagrun_run_after"]) <= soon]


def unpause(api: Any, dag_ids: list[str], batch: int = UNPAUSE_BATCH) -> None:
    """Unpause DAGs by one PATCH per batch: `dag_id_pattern` takes `a|b|...` (substring matches: every DAG id matched
    this way here is a fleet pipeline or its scoring DAG). In Airflow 3.3.2 the PATCH ignores `dag_id_prefix_pattern`
    (it matched nothing), and one audited PATCH per DAG would be ~2,000 writes."""
    for start in range(0, len(dag_ids), batch):
        api.request("PATCH", "/dags", json={"is_paused": False},
                    params={"dag_id_pattern": "|".join(dag_ids[start:start + batch]), "update_mask": "is_paused"})


def unpause_fleet(api: Any) -> dict:
    """Unpause the fleet's DAGs but the feature DAGs; refuse if one would get a run within the hour."""
    targets = [d for d in _fleet_dags(api) if d["is_paused"] and not _is_features(d)]
    if due := _due_soon(targets):
        raise RuntimeError(f"{len(due)} fleet DAGs would run at once if unpaused, e.g. {due[:3]}: "
                           f"pick another SCHEDULE than {SCHEDULE!r} (its first point after start_date must be ahead)")
    unpause(api, [d["dag_id"] for d in targets])
    dags = _fleet_dags(api)
    active = [d for d in dags if not d["is_paused"]]
    next_runs = sorted(d["next_dagrun_run_after"] for d in active if d.get("next_dagrun_run_after"))
    return {"fleet_dags": len(dags), "unpaused": len(active), "paused": len(dags) - len(active),
            "paused_features": sum(1 for d in dags if d["is_paused"] and _is_features(d)),
            "earliest_next_run": next_runs[0] if next_runs else None, "due_soon_after_unpause": len(_due_soon(active))}


def _tree_cpu(pid: int | None) -> float:
    """CPU seconds of a process and its children, live and reaped."""
    for _ in range(5):  # a child that ends while the tree is listed makes psutil raise: list again
        try:
            if pid is None:
                break
            root = psutil.Process(pid)
            total = _cpu_s(root)
            return total + sum(_cpu_s(child) for child in root.children(recursive=True))
        except psutil.NoSuchProcess:
            continue
    return float("nan")


def _cpu_s(proc: psutil.Process) -> float:
    try:
        t = proc.cpu_times()
    except psutil.NoSuchProcess:
        return 0.0
    return t.user + t.system + t.children_user + t.children_system


def probe(api: Any, home: Path) -> dict[str, float]:
    """Cumulative CPU seconds of the DAG processor and the scheduler, and the clock."""
    from modelfleet.runtime.processes import read_pid

    pids = home / "pids"  # EmbeddedConfig.pid_dir
    return {"dag_processor_cpu_s": _tree_cpu(read_pid(pids, "dag-processor")),
            "scheduler_cpu_s": _tree_cpu(read_pid(pids, "scheduler")), "seconds": time.monotonic()}


def fleet_runs(api: Any, home: Path) -> dict:
    """Runs of any DAG but bench__chain: a fleet DAG that ran would have skewed the figures."""
    return {"fleet_runs": _total(api, "/dags/~/dagRuns") - _total(api, f"/dags/{ex.DAG_ID}/dagRuns")}


def _case(mode: str, case: str, base: Path, tenants: Path, n: int, timeout: float) -> dict:
    dags = dag_folder(base / "dags", tenants if case == "fleet" else None)
    extra = {"MODELFLEET_TENANTS_DIR": str(tenants), "MODELFLEET_SCHEDULES": "on"}
    expected = expected_dag_ids(tenants, ex._environment(base / "probe-home", mode, dags, extra)) if case == "fleet" else {ex.DAG_ID}

    called = datetime.now(timezone.utc)

    def prepare(api: Any, home: Path) -> dict:
        waited = wait_registered(api, expected)
        info = {"expected_dags": len(expected), "import_errors": 0, "registration_s": registration_s(api, called),
                "registered_by_poll_s": (datetime.now(timezone.utc) - called).total_seconds(), "waited_s": waited}
        if case == "fleet":
            info |= unpause_fleet(api)
        return info

    result = ex._measure_mode(mode, (n,), base, timeout, dags, extra, prepare, probe, fleet_runs)
    result["case"] = case
    print(f"{mode} {case}: {json.dumps({k: v for k, v in result.items() if k != 'loads'}, default=str)}", file=sys.stderr)
    return result


def measure(pipelines: int = PIPELINES, runs: int = RUNS, modes: tuple[str, ...] = MODES, timeout: float = 1200) -> dict:
    """Baseline and fleet, per mode, one platform at a time."""
    if "celery" in modes:
        subprocess.run(["bash", str(ex.REPO / "infra/celery/install.sh"), "--check"], check=True)
    base = Path(tempfile.mkdtemp(prefix="modelfleet-scheduler-"))
    base.chmod(0o755)  # the postgres user must reach its data folder
    try:
        tenants = generated_fleet(base / "tenants", pipelines)
        rewritten = yearly_schedules(tenants)
        results = {mode: {case: _case(mode, case, base / mode / case, tenants, runs, timeout) for case in CASES}
                   for mode in modes}
    finally:
        shutil.rmtree(base, ignore_errors=True)
    return {"pipelines": pipelines, "runs": runs, "specs_rewritten": rewritten, "results": results}


def _cpu(load: dict, key: str) -> str:
    probed = load.get("probe", {})
    seconds = probed.get("seconds") or float("nan")
    value = probed.get(key, float("nan"))
    return f"{value:.1f} s ({value / seconds:.0%} of a core)" if value == value else "?"


def _row(mode: str, case: str, r: dict) -> str:
    x, prep = r["loads"][0], r.get("prepare", {})
    sm, sp = x["first_stages_median"], x["first_stages_p95"]
    registered = f"{prep.get('registration_s', float('nan')):.0f} s" if case == "fleet" else "-"
    failures = x["failed_runs"] + x["retried_tis"]
    return (f"| {mode} | {case} | {prep.get('expected_dags', '?')} | {registered} | {x['first_task_median']:.1f} s "
            f"| {x['first_task_p95']:.1f} s | {sm['to_scheduled']:.1f} / {sp['to_scheduled']:.1f} "
            f"| {sm['scheduled_to_queued']:.1f} / {sp['scheduled_to_queued']:.1f} "
            f"| {sm['queued_to_start']:.1f} / {sp['queued_to_start']:.1f} | {x['throughput_per_min']:.1f} "
            f"| {x['wall_s']:.0f} s | {_cpu(x, 'dag_processor_cpu_s')} | {_cpu(x, 'scheduler_cpu_s')} "
            f"| {failures}{' (' + ', '.join(x['failed_examples']) + ')' if x['failed_examples'] else ''} |\n")


def _ratio(fleet: dict, baseline: dict, key: str) -> str:
    return f"{fleet['loads'][0][key] / baseline['loads'][0][key]:.2f}x" if baseline["loads"][0][key] else "?"


def markdown(result: dict) -> str:
    rows = ratios = checks = ""
    for mode, cases in result["results"].items():
        name = "Celery" if mode == "celery" else "embedded"
        for case in CASES:
            rows += _row(name, case, cases[case])
        fleet, baseline = cases["fleet"], cases["baseline"]
        ratios += (f"| {name} | {_ratio(fleet, baseline, 'first_task_median')} | {_ratio(fleet, baseline, 'first_task_p95')} "
                   f"| {_ratio(fleet, baseline, 'throughput_per_min')} | {_ratio(fleet, baseline, 'wall_s')} |\n")
        prep = fleet.get("prepare", {})
        checks += (f"- {name}: {prep.get('fleet_dags', '?')} fleet DAGs registered, {prep.get('unpaused', '?')} unpaused, "
                   f"{prep.get('paused', '?')} paused; earliest next run of an unpaused one: {prep.get('earliest_next_run')}; "
                   f"{prep.get('paused_features', '?')} of the paused are feature DAGs; all registered within "
                   f"{prep.get('registered_by_poll_s', float('nan')):.0f} s of `up` (poll); "
                   f"fleet DAG runs created during the benchmark: {fleet.get('finish', {}).get('fleet_runs', '?')}; import errors: 0 "
                   f"(the benchmark stops on any); platform up in {fleet.get('up_s', float('nan')):.0f} s (baseline "
                   f"{baseline.get('up_s', float('nan')):.0f} s); slots: {fleet['slots']}, scheduler parallelism "
                   f"{fleet.get('parallelism', '?')}.\n")
    emb = result["results"].get("embedded", {}).get("fleet", {})
    cel = result["results"].get("celery", {}).get("fleet", {})
    return (
        f"{HEADING}\n\n"
        f"Issue #15: the time from a DAG run's trigger to its first task starting, with {result['pipelines']:,} registered "
        f"pipelines (**fleet**) and without (**baseline**), {result['runs']} runs of `{ex.DAG_ID}` (three trivial "
        "sequential tasks, tests/benchmarks/executor_dags/chain.py) triggered at once. Goal: p95 under 5 s. "
        "`.venv/bin/python -m tests.benchmarks.run --only scheduler` (tests/benchmarks/scheduler_at_scale.py).\n\n"
        "Per mode, baseline then fleet, one platform at a time; both with schedules on (Airflow's `use_job_schedule`) "
        "and the same tenants folder. **Fleet**: the per-team DAG files (`tenants/<team>.py`, modelfleet.dag_files) of a "
        "generated fleet (tests/benchmarks/generated_fleet.py) next to chain.py; its pipeline and scoring schedules "
        f"rewritten to `{SCHEDULE}` ({result['specs_rewritten']} specs) (yearly on 31 December: with start_date 2026-01-01 and "
        "catchup off Airflow 3 makes the next run the later of the last cron point before now and the first one after "
        "the start date, here 2026-12-31; `0 0 1 1 *` would have been due at once) and its pipeline, scoring and "
        "placeholder DAGs **unpaused**: live candidates of the scheduler's due-run query every loop, none due. The "
        "teams' feature DAGs (fixed `@daily`, due at once if unpaused) stay **paused**, so their asset-scheduled "
        "consumers never fire. Triggering starts only when the REST API lists every DAG the specs call "
        "for (pipelines + broken-spec placeholders + batch scoring DAGs + one feature DAG per team + bench__chain) and "
        "there is no import error. **Registration** = from `modelfleet up` being called to the last DAG's parse "
        "(`last_parsed_time`), services' start included.\n\n"
        f"Machine: 2 cores shared, so one pass each (no repeats; read differences under ~20% as noise). Task slots: "
        f"embedded LocalExecutor parallelism {emb.get('slots', '?')}; Celery one cpu worker of concurrency "
        f"{cel.get('slots', '?')}. Latency = first task's `start_date` - the run's `queued_at` (trigger), split into "
        "runnable -> `scheduled_when` -> `queued_when` -> `start_date` (median / p95, seconds). CPU = the DAG "
        "processor's and the scheduler's process trees (psutil) during the load, from trigger to the last run's end.\n\n"
        "| executor | case | DAGs expected | registration | first task median | first task p95 | runnable -> scheduled "
        "| scheduled -> queued | queued -> start | runs/min | wall | DAG processor CPU | scheduler CPU | failures |\n"
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n" + rows +
        "\nFleet / baseline:\n\n| executor | first task median | first task p95 | runs/min | wall |\n|---|---:|---:|---:|---:|\n"
        + ratios + "\nChecks:\n\n" + checks + "\n" + settings(result)
    )


STAGES = {"to_scheduled": "runnable -> scheduled", "scheduled_to_queued": "scheduled -> queued", "queued_to_start": "queued -> start"}
ADVICE = {
    "to_scheduled": "the scheduler's loop: it examines `max_dagruns_per_loop_to_schedule` runs per loop, so a run "
                    "waits for the loop that looks at it: scheduler-bound",
    "scheduled_to_queued": "the hand-off to the executor: at most `max_tis_per_query` task instances per loop and never "
                           "more running or queued than `parallelism` nor, per DAG, than its `max_active_tasks` "
                           "(bench__chain: 16); embedded, `parallelism` = its task slots, so this wait is a slot wait too; "
                           "on Celery (parallelism 32) the DAG's 16 queued or running tasks wait for the worker's slots",
    "queued_to_start": "task slots: a queued task waits for a free LocalExecutor process or Celery worker slot "
                       "(`parallelism` embedded, `worker_concurrency` on Celery) and its start-up: this stage is slot-bound, not "
                       "scheduler-bound: the scheduler's per-loop settings do not limit it",
}


def _dominant(load: dict) -> tuple[str, float, float]:
    """The first task's stage with the largest p95, that p95 and the first task's p95."""
    p95 = load["first_stages_p95"]
    stage = max(p95, key=lambda k: p95[k] if p95[k] == p95[k] else -1.0)
    return stage, p95[stage], load["first_task_p95"]


def settings(result: dict) -> str:
    """Which Airflow settings matter at this size, read off the measured stages (nothing here is a guess)."""
    lines = ["Settings that matter at this size, as this run shows them:\n"]
    for mode, cases in result["results"].items():
        name = "Celery" if mode == "celery" else "embedded"
        p95 = {case: cases[case]["loads"][0]["first_task_p95"] for case in CASES}
        verdict = ", ".join(f"{case} {value:.1f} s" for case, value in p95.items())
        met = all(value < 5 for value in p95.values())
        scheduler = ", ".join(f"{case} {cases[case]['loads'][0]['first_stages_p95']['to_scheduled']:.1f} s" for case in CASES)
        lines.append(f"- {name}: goal p95 < 5 s {'met' if met else 'missed'} (first task p95: {verdict}). The "
                     f"scheduler's own part, runnable -> scheduled, p95: {scheduler}.")
        for case in CASES:
            load = cases[case]["loads"][0]
            stage, part, whole = _dominant(load)
            lines.append(f"- {name}, {case}: first task p95 {whole:.1f} s, the largest stage p95 is {STAGES[stage]} "
                         f"({part:.1f} s): {ADVICE[stage]}.")
        fleet, baseline = cases["fleet"]["loads"][0], cases["baseline"]["loads"][0]
        added = ", ".join(f"{STAGES[k]} {fleet['first_stages_median'][k] - baseline['first_stages_median'][k]:+.1f} s"
                          for k in STAGES)
        lines.append(f"- {name}: the fleet's change to the first task's median, stage by stage: {added} "
                     f"(total {fleet['first_task_median'] - baseline['first_task_median']:+.1f} s).")
        dp = fleet.get("probe", {}).get("dag_processor_cpu_s", float("nan"))
        dp0 = baseline.get("probe", {}).get("dag_processor_cpu_s", float("nan"))
        lines.append(f"- {name}: the DAG processor used {dp:.1f} CPU s during the fleet's load ({dp0:.1f} s in the "
                     "baseline's): that is what the fleet's DAG files cost the other components on these 2 cores while "
                     "runs were scheduled.")
    lines.append("\nIn effect (platform or Airflow defaults): `parallelism` as in the checks above, `max_tis_per_query` "
                 "16, `max_dagruns_per_loop_to_schedule` 20, `max_dagruns_to_create_per_loop` 10 (only runs the "
                 "scheduler creates from schedules; triggered runs are created by the API server), DAG processor "
                 f"`parsing_processes` 2, `min_file_process_interval` {EmbeddedConfig.from_env().dag_reparse_seconds} s (MODELFLEET_DAG_REPARSE), "
                 "`refresh_interval` 30 s (MODELFLEET_DAG_REFRESH); bench__chain's `max_active_tasks` 16. "
                 "None was tuned for this run. 100 runs x 3 tasks on 4 task slots: whatever the scheduler does, most "
                 "first tasks wait for a slot behind other runs' tasks.")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    arguments = sys.argv[1:]
    size = int(arguments[0]) if arguments else PIPELINES
    n = int(arguments[1]) if len(arguments) > 1 else RUNS
    chosen = tuple(arguments[2].split(",")) if len(arguments) > 2 else MODES
    outcome = measure(size, n, chosen)
    print(json.dumps(outcome, indent=2, default=str))
    print(markdown(outcome))

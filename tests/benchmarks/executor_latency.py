"""Executors: the embedded default (LocalExecutor on SQLite) vs the Celery mode (PostgreSQL, Redis, cpu worker).

One platform at a time, embedded first, then Celery, each in its own temporary MODELFLEET_HOME with free ports and
the DAG folder tests/benchmarks/executor_dags (one DAG, `bench__chain`: three sequential trivial tasks on the `cpu`
queue). On this 2-core machine the two platforms are not run side by side: each would take CPU from the other's
scheduler and workers. For each load N, N runs are triggered at once; the next load starts when all have ended.

From the REST API's task instances and runs:

- scheduling latency of a task instance: `start_date` - the moment it became runnable, which is the run's
  `queued_at` (the trigger) for the first task and the upstream task's `end_date` for the others. Split into
  runnable -> `scheduled_when` (the scheduler saw it runnable), -> `queued_when` (handed to the executor) and
  -> `start_date` (the task process started on a worker and told the API server);
- throughput: runs ended per minute, N / (last run's end - first run's queued_at);
- wall time: first run's queued_at to the last run's end;
- failures: runs not `success` and task instances that needed more than one try;
- slot use: the sum of task durations / (wall time x task slots).
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from tests.benchmarks.overhead import _free_port, scoped_environ

REPO = Path(__file__).resolve().parents[2]
DAGS = Path(__file__).resolve().parent / "executor_dags"
DAG_ID = "bench__chain"
TASKS = ("first", "second", "third")
LOADS = (10, 50, 100)
MODES = ("embedded", "celery")
HEADING = "## Executors: embedded default vs Celery"


def _cli(env: dict[str, str], *args: str, timeout: float = 900) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "modelfleet.cli.main", *args], env=env, cwd=REPO,
                          capture_output=True, text=True, timeout=timeout)


def _time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None


def _environment(home: Path, mode: str, dags: Path = DAGS, extra: dict[str, str] | None = None) -> dict[str, str]:
    """The platform's environment: its own home and free ports, the DAG folder `dags`, then `extra` on top."""
    env = {**os.environ, "MODELFLEET_HOME": str(home), "MODELFLEET_MODE": mode, "MODELFLEET_DAGS_FOLDER": str(dags)}
    ports = ["MODELFLEET_API_PORT", "MODELFLEET_MLFLOW_PORT", "MODELFLEET_SERVING_PORT", "MODELFLEET_OTLP_PORT"]
    if mode == "celery":
        ports += ["MODELFLEET_PG_PORT", "MODELFLEET_REDIS_PORT"]
    for variable in ports:
        env[variable] = str(_free_port())
    for variable in ("MODELFLEET_TRACING", "MODELFLEET_OTLP_ENDPOINT", "MODELFLEET_DB_URL", "MODELFLEET_GPU_DEVICES",
                     "AIRFLOW_HOME", "AIRFLOW__CORE__DAGS_FOLDER", "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"):
        env.pop(variable, None)
    env.update(extra or {})
    return env


def _config(env: dict[str, str]):
    from modelfleet.runtime.config import EmbeddedConfig

    with scoped_environ({k: v for k, v in env.items() if k.startswith("MODELFLEET_")}):
        return EmbeddedConfig.from_env()


def _quantile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def _load(api, n: int, block: int, slots: int, timeout: float) -> dict:
    """Trigger n runs at once, wait for all to end, and measure them from the REST API."""
    run_ids = [f"bench_{block}_{i:03d}" for i in range(n)]
    for i, run_id in enumerate(run_ids):
        api.trigger(DAG_ID, run_id, f"2026-01-{block:02d}T{i // 3600:02d}:{i // 60 % 60:02d}:{i % 60:02d}+00:00")
    deadline = time.monotonic() + timeout
    runs: dict[str, dict] = {}
    while time.monotonic() < deadline:
        runs = {r["dag_run_id"]: r for r in api._pages(f"/dags/{DAG_ID}/dagRuns", "dag_runs", {}) if r["dag_run_id"] in run_ids}
        if len(runs) == n and all(r["state"] in ("success", "failed") for r in runs.values()):
            break
        time.sleep(3)
    tis = [t for t in api._pages(f"/dags/{DAG_ID}/dagRuns/~/taskInstances", "task_instances", {}) if t["dag_run_id"] in run_ids]
    by_run = {(t["dag_run_id"], t["task_id"]): t for t in tis}
    latency: list[float] = []
    stages: dict[str, list[float]] = {"to_scheduled": [], "scheduled_to_queued": [], "queued_to_start": []}
    first_task: list[float] = []
    first_stages: dict[str, list[float]] = {k: [] for k in stages}
    durations = 0.0
    for t in tis:
        start, end = _time(t["start_date"]), _time(t["end_date"])
        index = TASKS.index(t["task_id"])
        if index == 0:
            runnable = _time(runs[t["dag_run_id"]]["queued_at"]) if t["dag_run_id"] in runs else None
        else:
            runnable = _time(by_run.get((t["dag_run_id"], TASKS[index - 1]), {}).get("end_date"))
        if start and end:
            durations += (end - start).total_seconds()
        if not (start and runnable):
            continue
        latency.append((start - runnable).total_seconds())
        if index == 0:
            first_task.append(latency[-1])
        scheduled, queued = _time(t.get("scheduled_when")), _time(t.get("queued_when"))
        if scheduled and queued:
            stages["to_scheduled"].append((scheduled - runnable).total_seconds())
            stages["scheduled_to_queued"].append((queued - scheduled).total_seconds())
            stages["queued_to_start"].append((start - queued).total_seconds())
            if index == 0:
                for key in stages:
                    first_stages[key].append(stages[key][-1])
    queued_at = [_time(r["queued_at"]) for r in runs.values() if r.get("queued_at")]
    ended = [_time(r["end_date"]) for r in runs.values() if r.get("end_date")]
    wall = (max(ended) - min(queued_at)).total_seconds() if ended and queued_at else float("nan")
    failed_runs = sorted(r for r, run in runs.items() if run["state"] != "success") + sorted(set(run_ids) - set(runs))
    retried = sum(1 for t in tis if (t.get("try_number") or 1) > 1)
    return {
        "n": n, "runs_ended": len(ended), "failed_runs": len(failed_runs), "failed_examples": failed_runs[:5],
        "retried_tis": retried, "task_instances": len(tis),
        "latency_median": statistics.median(latency) if latency else float("nan"),
        "latency_p95": _quantile(latency, 0.95), "first_task_median": statistics.median(first_task) if first_task else float("nan"),
        "first_task_p95": _quantile(first_task, 0.95),
        "stages_median": {k: statistics.median(v) if v else float("nan") for k, v in stages.items()},
        "first_stages_median": {k: statistics.median(v) if v else float("nan") for k, v in first_stages.items()},
        "first_stages_p95": {k: _quantile(v, 0.95) for k, v in first_stages.items()},
        "stages_p95": {k: _quantile(v, 0.95) for k, v in stages.items()},
        "wall_s": wall, "throughput_per_min": len(ended) / wall * 60 if wall and wall == wall else float("nan"),
        "slot_use": durations / (wall * slots) if wall and wall == wall else float("nan"),
        "task_s_median": statistics.median([(_time(t["end_date"]) - _time(t["start_date"])).total_seconds()
                                            for t in tis if t["start_date"] and t["end_date"]] or [float("nan")]),
    }


Hook = Callable[[Any, Path], dict]
"""Called with the platform's AirflowApi and MODELFLEET_HOME; what it returns is kept in the mode's result."""


def _measure_mode(mode: str, loads: tuple[int, ...], base: Path, timeout: float, dags: Path = DAGS,
                  extra: dict[str, str] | None = None, prepare: Hook | None = None, probe: Hook | None = None,
                  finish: Hook | None = None) -> dict:
    """One platform up, `loads` one after the other, down. Other suites reuse it on another DAG folder: `prepare`
    runs once before the first load, `probe` before and after each load (its numbers' differences land in the
    load's figures under "probe"), `finish` after the last load, while the platform is still up."""
    from modelfleet.runtime.api_client import AirflowApi
    from modelfleet.runtime.fleet_run import wait_for_dags

    home = base / mode / "home"
    home.parent.mkdir(parents=True)
    env = _environment(home, mode, dags, extra)
    config = _config(env)
    slots = config.cpu_concurrency if mode == "celery" else config.parallelism
    result: dict = {"mode": mode, "slots": slots, "loads": []}
    try:
        started = time.monotonic()
        up = _cli(env, "up", timeout=900)
        if up.returncode != 0:
            raise RuntimeError(f"{mode}: modelfleet up failed: {up.stdout[-2000:]}{up.stderr[-2000:]}")
        result["up_s"] = time.monotonic() - started
        api = AirflowApi(config)
        wait_for_dags(api, {DAG_ID})
        if api.paused_by_dag().get(DAG_ID):
            api.set_paused(DAG_ID, False)
        if prepare is not None:
            result["prepare"] = prepare(api, home)
        time.sleep(10)  # let start-up work (first parses, pool sync) settle before the first load
        result["parallelism"] = int(config.environment()["AIRFLOW__CORE__PARALLELISM"])
        for block, n in enumerate(loads, start=1):
            load = os.getloadavg()[0]
            before = probe(api, home) if probe is not None else {}
            figures = _load(api, n, block, slots, timeout)
            figures["load_before"] = load
            if probe is not None:
                after = probe(api, home)
                figures["probe"] = {k: after[k] - before[k] for k in after if k in before}
            print(f"{mode} N={n}: {json.dumps(figures)}", file=sys.stderr)
            result["loads"].append(figures)
        if finish is not None:
            result["finish"] = finish(api, home)
    finally:
        down = _cli(env, "down", timeout=300)
        result["down_rc"] = down.returncode
        if down.returncode != 0:
            print(f"{mode}: modelfleet down failed: {down.stdout[-1000:]}{down.stderr[-1000:]}", file=sys.stderr)
    return result


def measure(loads: tuple[int, ...] = LOADS, timeout: float = 900) -> dict:
    """Both executors, one after the other, each at every load."""
    check = subprocess.run(["bash", str(REPO / "infra/celery/install.sh"), "--check"], capture_output=True, text=True)
    if check.returncode != 0:
        raise RuntimeError(f"celery mode not installed: {check.stderr.strip()} (bash infra/celery/install.sh)")
    base = Path(tempfile.mkdtemp(prefix="modelfleet-executors-"))
    base.chmod(0o755)  # the postgres user must reach its data folder
    try:
        results = {mode: _measure_mode(mode, loads, base, timeout) for mode in MODES}
    finally:
        shutil.rmtree(base, ignore_errors=True)
    return {"loads": list(loads), "results": results}


def markdown(result: dict) -> str:
    emb, cel = result["results"]["embedded"], result["results"]["celery"]
    rows = ""
    ratios = ""
    stages = ""
    for e, c in zip(emb["loads"], cel["loads"]):
        e["slots_"], c["slots_"] = emb["slots"], cel["slots"]
        for name, x in (("embedded", e), ("Celery", c)):
            failures = x["failed_runs"] + x["retried_tis"]
            per_task = x["wall_s"] * (e if x is e else c)["slots_"] / x["task_instances"] if x["task_instances"] else float("nan")
            rows += (f"| {x['n']} | {name} | {x['latency_median']:.1f} s | {x['latency_p95']:.1f} s | {x['first_task_median']:.1f} s "
                     f"| {x['throughput_per_min']:.1f} | {x['wall_s']:.0f} s | {x['slot_use']:.0%} | {x['task_s_median']:.1f} s "
                     f"| {per_task:.1f} s | {x.get('load_before', float('nan')):.1f} "
                     f"| {failures}{' (' + ', '.join(x['failed_examples']) + ')' if x['failed_examples'] else ''} |\n")
            sm, sp = x["stages_median"], x["stages_p95"]
            stages += (f"| {x['n']} | {name} | {sm['to_scheduled']:.1f} / {sp['to_scheduled']:.1f} "
                       f"| {sm['scheduled_to_queued']:.1f} / {sp['scheduled_to_queued']:.1f} "
                       f"| {sm['queued_to_start']:.1f} / {sp['queued_to_start']:.1f} |\n")
        ratios += (f"| {e['n']} | {c['latency_median'] / e['latency_median']:.2f}x | {c['latency_p95'] / e['latency_p95']:.2f}x "
                   f"| {c['throughput_per_min'] / e['throughput_per_min']:.2f}x | {c['wall_s'] / e['wall_s']:.2f}x |\n")
    return (
        f"{HEADING}\n\n"
        f"`{DAG_ID}` (`tests/benchmarks/executor_dags/chain.py`: three sequential tasks of trivial work on the `cpu` "
        "queue), N runs triggered at once, N = " + ", ".join(str(n) for n in result["loads"]) + ", one load after the other. "
        f"**Embedded**: LocalExecutor on SQLite, parallelism {emb['slots']} (= its worker processes). **Celery**: CeleryExecutor, PostgreSQL 15 "
        f"metadata, Redis broker, one cpu worker of concurrency {cel['slots']} (the gpu workers idle), scheduler "
        f"parallelism {cel.get('parallelism', '?')} (tasks it may hand to Celery at once). Same DAG file, same task "
        "slots that run tasks. The two platforms ran **one after the other**, not side by side: on 2 cores each would take "
        "CPU from the other's scheduler and task processes. One pass each (no repeats): read differences under ~20% as noise.\n\n"
        "**Scheduling latency** of a task instance = its `start_date` - the moment it became runnable: the run's "
        "`queued_at` (trigger) for the first task, the upstream task's `end_date` for the second and third. "
        "It includes waiting for a free task slot. **Throughput** = runs ended / (last run's end - first run's "
        "`queued_at`), per minute; **wall** = that span. **Failures** = runs not `success` + task instances with more "
        "than one try. **Slot use** = sum of task durations / (wall x slots).\n\n"
        "**Slot-seconds per task** = wall x slots / task instances (what one task costs a slot, start-up included). "
        "**Load** = the 1-minute load average when the load was triggered.\n\n"
        "| N | executor | latency median | latency p95 | first task median | runs/min | wall | slot use | task duration median "
        "| slot-seconds per task | load | failures |\n"
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n" + rows +
        "\nCelery / embedded:\n\n| N | latency median | latency p95 | throughput | wall |\n|---:|---:|---:|---:|---:|\n" + ratios +
        "\nWhere the latency goes, median / p95 in seconds: runnable -> `scheduled_when` (the scheduler's loop marks "
        "it scheduled), `scheduled_when` -> `queued_when` (the scheduler hands it to the executor; tasks wait "
        "here while `parallelism` is used up), `queued_when` -> `start_date` (executor to worker, process start, the task runner's "
        "first call to the API server):\n\n"
        "| N | executor | runnable -> scheduled | scheduled -> queued | queued -> start |\n|---:|---|---:|---:|---:|\n" + stages
    )


if __name__ == "__main__":
    loads = tuple(int(n) for n in sys.argv[1:]) or LOADS
    print(json.dumps(measure(loads), indent=2, default=str))

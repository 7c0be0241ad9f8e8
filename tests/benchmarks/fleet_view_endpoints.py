"""The Fleet page's endpoints in the real component: Airflow's API server with the plugin, and a real MLflow server.

For each fleet size N, a fresh state folder with free ports: `airflow db migrate`, the fleet written by
tests/benchmarks/fleet_view_populate.py in a subprocess with the platform's environment, GPU pools synced, then only
`mlflow` and `api-server` started (no scheduler or DAG processor: the processor would mark the written DAGs stale),
N models registered over MLflow's REST API. Then, one endpoint after the other on that server, 2 warm-up requests
and REPEATS timed ones each of `GET /fleet/api/fleet`, `GET /fleet/api/gpus` and, as the baseline, Airflow's own
`GET /api/v2/dags?limit=100` and `GET /api/v2/dags/~/dagRuns?limit=100` (what its DAG list page calls).
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
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.benchmarks.fleet_view_populate import TENANTS, dag_ids, register_models
from tests.benchmarks.overhead import _free_port

REPO = Path(__file__).resolve().parents[2]
SIZES = (25, 1000)
REPEATS = 15
WARMUP = 2
HEADING = "## Fleet page endpoints"
ENDPOINTS = {
    "fleet": "/fleet/api/fleet",
    "gpus": "/fleet/api/gpus",
    "airflow dags": "/api/v2/dags?limit=100",
    "airflow dagRuns": "/api/v2/dags/~/dagRuns?limit=100",
}
PORTS = ("MODELFLEET_API_PORT", "MODELFLEET_MLFLOW_PORT", "MODELFLEET_SERVING_PORT", "MODELFLEET_OTLP_PORT")
CLEARED = ("MODELFLEET_OTLP_ENDPOINT", "MODELFLEET_DB_URL", "MODELFLEET_MODE", "MODELFLEET_GPU_DEVICES",
           "MODELFLEET_DAGS_FOLDER", "AIRFLOW_HOME", "AIRFLOW__CORE__DAGS_FOLDER", "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN")


@contextmanager
def _platform_environ(home: Path) -> Iterator[None]:
    """This process's environment names one benchmark platform (its home, free ports, tracing off) inside the block."""
    with pytest.MonkeyPatch.context() as patch:
        for variable in CLEARED:
            patch.delenv(variable, raising=False)
        patch.setenv("MODELFLEET_HOME", str(home))
        patch.setenv("MODELFLEET_TRACING", "off")
        for variable in PORTS:
            patch.setenv(variable, str(_free_port()))
        yield


def _quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def _wait(url: str, process_alive: Callable[[], bool], timeout: float = 300) -> None:
    """Until `url` answers 200; an error when its process exited or after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if httpx.get(url, timeout=3).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if not process_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"{url} did not answer")
        time.sleep(1)


def _time(client: httpx.Client, path: str, repeats: int) -> dict:
    """WARMUP untimed requests, then `repeats` timed ones: median, p95 (seconds) and the response's size."""
    for _ in range(WARMUP):
        client.get(path).raise_for_status()
    seconds, size = [], 0
    for _ in range(repeats):
        started = time.perf_counter()
        response = client.get(path)
        seconds.append(time.perf_counter() - started)
        response.raise_for_status()
        size = len(response.content)
    return {"median": statistics.median(seconds), "p95": _quantile(seconds, 0.95), "bytes": size}


def _check(client: httpx.Client, n: int) -> float:
    """The generated data reached the page: N pipelines, every one with its champion, every source read.

    Returns the seconds of that first fleet request: the API server's copy of MLflow's answer
    (fleet_view.registry.CachedModels) is still empty, so it reads MLflow, as after every start.
    """
    started = time.perf_counter()
    view = client.get(ENDPOINTS["fleet"]).raise_for_status().json()
    cold = time.perf_counter() - started
    pipelines = [p for tenant in view["tenants"] for p in tenant["pipelines"]]
    assert len(pipelines) == n, f"fleet endpoint: {len(pipelines)} pipelines, expected {n}"
    assert {t["id"] for t in view["tenants"]} == set(TENANTS), view["tenants"]
    assert all(p["champions"] and p["champions"][0]["version"] is not None for p in pipelines), "champions missing"
    assert not view["missing"], view["missing"]
    gpus = client.get(ENDPOINTS["gpus"]).raise_for_status().json()
    assert gpus["devices"] and not gpus["missing"], gpus
    return cold


def _measure_size(n: int, base: Path, repeats: int) -> dict:
    from modelfleet.runtime import platform, processes
    from modelfleet.runtime.api_client import AirflowApi
    from modelfleet.runtime.config import EmbeddedConfig

    home = base / f"n{n}"
    with _platform_environ(home):
        config = EmbeddedConfig.from_env()
        config.mlflow_dir.mkdir(parents=True)
        config.airflow_home.mkdir(parents=True)
        result: dict = {"n": n}
        try:
            started = time.monotonic()
            platform.airflow(config, "db", "migrate", timeout=600)
            platform.use_wal(config.airflow_home / "airflow.db")
            out = subprocess.run([sys.executable, "-m", "tests.benchmarks.fleet_view_populate", str(n)],
                                 env=config.environment(), cwd=REPO, capture_output=True, text=True, timeout=900)
            if out.returncode:
                raise RuntimeError(f"populate failed: {out.stderr[-3000:]}")
            result["pools"] = platform.sync_pools(config)
            result["db_s"] = time.monotonic() - started
            for name in ("mlflow", "api-server"):
                platform.start_component(config, name)
            for name, url in (("mlflow", f"{config.mlflow_url}/health"), ("api-server", f"{config.api_url}/api/v2/monitor/health")):
                pid = processes.read_pid(config.pid_dir, name)
                _wait(url, lambda: pid is not None and processes.group_alive(pid))
            started = time.monotonic()
            register_models(config.mlflow_url, dag_ids(n))
            result["mlflow_s"] = time.monotonic() - started
            token = AirflowApi(config).token
            with httpx.Client(base_url=config.api_url, timeout=300, headers={"Authorization": f"Bearer {token}"}) as client:
                result["fleet_cold_s"] = _check(client, n)
                result["load_before"] = os.getloadavg()[0]
                result["endpoints"] = {name: _time(client, path, repeats) for name, path in ENDPOINTS.items()}
            print(f"N={n}: {json.dumps(result)}", file=sys.stderr)
        finally:
            for name in ("api-server", "mlflow"):
                processes.stop(config.pid_dir, name)
    return result


def measure(sizes: tuple[int, ...] = SIZES, repeats: int = REPEATS) -> dict:
    """Every size, one after the other, each in its own temporary state folder (deleted after)."""
    base = Path(tempfile.mkdtemp(prefix="modelfleet-fleetview-"))
    try:
        return {"sizes": list(sizes), "repeats": repeats, "results": [_measure_size(n, base, repeats) for n in sizes]}
    finally:
        shutil.rmtree(base, ignore_errors=True)


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"


def _kb(size: int) -> str:
    return f"{size / 1024:.0f} KiB" if size >= 10240 else f"{size / 1024:.1f} KiB"


def markdown(result: dict) -> str:
    small, large = result["results"][0], result["results"][-1]
    rows = ""
    for name, path in ENDPOINTS.items():
        s, b = small["endpoints"][name], large["endpoints"][name]
        rows += (f"| `{path}` | {_ms(s['median'])} / {_ms(s['p95'])} | {_ms(b['median'])} / {_ms(b['p95'])} "
                 f"| {b['median'] / s['median']:.1f}x | {_kb(s['bytes'])} / {_kb(b['bytes'])} |\n")
    cold = ", ".join(f"{r['n']:,}: {_ms(r['fleet_cold_s'])}" for r in result["results"])
    ratios = ""
    for r in (small, large):
        e = r["endpoints"]
        ratios += (f"| {r['n']:,} | {e['fleet']['median'] / e['airflow dags']['median']:.1f}x "
                   f"| {e['fleet']['median'] / e['airflow dagRuns']['median']:.1f}x "
                   f"| {e['gpus']['median'] / e['airflow dags']['median']:.1f}x | {r['load_before']:.1f} |\n")
    return (
        f"{HEADING}\n\n"
        "`GET /fleet/api/fleet` and `GET /fleet/api/gpus` (modelfleet.fleet_view, the plugin in Airflow's API server, "
        "one worker) with a real MLflow server, at " + " and ".join(f"{r['n']:,}" for r in result["results"]) + " pipelines "
        f"over the five tenants; each endpoint {WARMUP} warm-up requests then {result['repeats']} timed ones, one at a "
        "time, with the admin's JWT. Baseline, on the same server in the same go: Airflow's own `GET /api/v2/dags?limit=100` "
        "and `GET /api/v2/dags/~/dagRuns?limit=100` (what its DAG list page calls). Per pipeline: 7 runs over the last 7 days "
        "(one failed); a registered model (tag `dag_id`) with 3 versions (`metric`, `holdout_metric`, `logical_date`, "
        "`lineage.trace_id`) and `champion` on v3; drift checks for every 5th model, a dead letter per 50 pipelines, "
        "4 GPU leases, pools synced from infra/capacity.yaml. Only `mlflow` and `api-server` run (no scheduler, no DAG processor).\n\n"
        "The DAG rows (DagModel + DagTag, bundle `dags-folder`, not stale) were **written directly**, as the DAG processor "
        f"writes them (tests/benchmarks/fleet_view_populate.py), not parsed from {large['n']:,} generated spec files: the "
        "page reads the DAG table, not the specs, and parsing that many specs is issue #15's subject. "
        "Before timing, the fleet endpoint was checked to return every pipeline, each with its champion, and no missing source.\n\n"
        "| endpoint | " + f"{small['n']:,}" + " median / p95 | " + f"{large['n']:,}" + " median / p95 | "
        + f"{large['n']:,} / {small['n']:,}" + " (median) | response size |\n|---|---:|---:|---:|---:|\n" + rows +
        "\nThe fleet endpoint keeps MLflow's answer in the API server for up to 30 s and reads it again behind the "
        "requests (fleet_view.registry.CachedModels), so the figures above are what a user pays on a running server; the "
        f"first request after the server starts reads MLflow while the user waits: {cold}.\n"
        "\nFleet endpoints / Airflow's own (medians):\n\n"
        "| pipelines | fleet / dags | fleet / dagRuns | gpus / dags | load |\n|---:|---:|---:|---:|---:|\n" + ratios +
        "\nSet-up per size (migrate, write, pools; MLflow registration over REST, 4 threads): "
        + ", ".join(f"{r['n']:,}: {r['db_s']:.0f} s + {r['mlflow_s']:.0f} s" for r in result["results"]) + ". "
        "One pass per size; on this shared 2-core machine read differences under ~20% as noise.\n"
    )


if __name__ == "__main__":
    sizes = tuple(int(n) for n in sys.argv[1:]) or SIZES
    print(json.dumps(measure(sizes), indent=2, default=str))

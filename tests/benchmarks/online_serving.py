"""Online serving latency: the model server (a real component process) against the in-process model call.

One online pipeline (payments__card_fraud) runs once through the embedded
platform, so its champion is deployed to the model server and its views are
materialized. Then, interleaved request by request so load drift hits all
alike, for single requests and small batches:

- in-process: `model.predict(features)` on features fetched beforehand
  (the floor: no HTTP, no feature read);
- Feast online read alone: the columns the model needs, for the entities;
- server, raw rows: MLflow's scoring protocol (`/invocations`, features in
  the request), i.e. HTTP plus the model;
- server, by entity keys: `/predict`, what a caller uses (HTTP, Feast read,
  model).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
PIPELINE = ("payments", "card_fraud")
DAY = date(2026, 11, 19)
BATCHES = (1, 8, 32)
KINDS = ("in-process predict", "Feast online read (benchmark process)", "server /invocations (raw rows)",
         "server /predict (entity keys)", "  of which Feast read in the server", "  of which model in the server")


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _cli(env: dict[str, str], *args: str) -> str:
    out = subprocess.run([sys.executable, "-m", "modelfleet.cli.main", *args], env=env, cwd=REPO,
                         capture_output=True, text=True, timeout=1800)
    if out.returncode:
        raise RuntimeError(f"modelfleet {' '.join(args)} failed:\n{out.stdout[-3000:]}\n{out.stderr[-2000:]}")
    return out.stdout


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def measure(requests: int = 300) -> dict[str, Any]:
    tenant, model = PIPELINE
    name = f"{tenant}__{model}"
    with tempfile.TemporaryDirectory() as tmp:
        env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
        env.update({"MODELFLEET_HOME": f"{tmp}/home", "MODELFLEET_API_PORT": str(_free_port()),
                    "MODELFLEET_MLFLOW_PORT": str(_free_port()), "MODELFLEET_SERVING_PORT": str(_free_port()),
                    "MODELFLEET_OTLP_PORT": str(_free_port())})
        ours = ("MODELFLEET_HOME", "MODELFLEET_API_PORT", "MODELFLEET_MLFLOW_PORT", "MODELFLEET_SERVING_PORT", "MODELFLEET_OTLP_PORT")
        os.environ.update({key: env[key] for key in ours})  # this process reads the same Feast store and registry
        from modelfleet.runtime.config import EmbeddedConfig

        config = EmbeddedConfig.from_env()
        os.environ["MLFLOW_TRACKING_URI"] = config.mlflow_url  # the in-process baseline loads the same version
        try:
            _cli(env, "run", "--date", DAY.isoformat(), "--pipeline", name)
            return _measure_against(config, name, requests)
        finally:
            _cli(env, "down")
            for key in (*ours, "MLFLOW_TRACKING_URI"):
                os.environ.pop(key, None)


def _measure_against(config: Any, name: str, requests: int) -> dict[str, Any]:
    import httpx
    import pandas as pd

    from modelfleet.features.config import config_file
    from modelfleet.features.serving import model_online_features
    from modelfleet.hooks.feast import FeastHook
    from modelfleet.io import read_frame, rendered_data_path
    from modelfleet.training.loading import load_fleet_model
    from modelfleet.serving.features import CachedFeatureReader
    from modelfleet.specs.loader import load_pipeline

    pipeline = load_pipeline(*PIPELINE)
    keys = pipeline.model.features.join_keys
    day = read_frame(rendered_data_path(pipeline, DAY.isoformat()), pipeline.model.data.format)
    entities = day[keys].drop_duplicates().head(max(BATCHES)).to_dict("records")
    reader = CachedFeatureReader(FeastHook(feature_store_yaml=str(config_file())))
    http = httpx.Client(base_url=config.serving_url, timeout=30)
    live = http.get("/v1/models").json()
    version = next(m["live_version"] for m in live if m["name"] == name)
    if version is None:
        raise RuntimeError(f"{name} has no live version on the model server: {live}")
    model = load_fleet_model(f"models:/{name}/{version}")
    calls: dict[tuple[str, int], Callable[[], Any]] = {}
    for size in BATCHES:
        batch = entities[:size]
        features = model_online_features(pipeline, batch, hook=reader).drop(columns=keys)
        raw = {"dataframe_split": features.to_dict("split")}
        raw["dataframe_split"].pop("index", None)

        def served(path: str, body: dict[str, Any]) -> Callable[[], Any]:
            def call() -> Any:
                response = http.post(path, json=body)
                response.raise_for_status()
                return response
            return call

        calls[(KINDS[0], size)] = lambda f=features: model.predict(f)
        calls[(KINDS[1], size)] = lambda b=batch: model_online_features(pipeline, b, hook=reader)
        calls[(KINDS[2], size)] = served(f"/v1/models/{name}/invocations", raw)
        calls[(KINDS[3], size)] = served(f"/v1/models/{name}/predict", {"entities": batch})
    answer = calls[(KINDS[3], 1)]().json()
    expected = float(pd.Series(model.predict(model_online_features(pipeline, entities[:1], hook=reader).drop(columns=keys))).iloc[0])
    if abs(answer["predictions"][0] - expected) > 1e-6:
        raise RuntimeError(f"the server's prediction {answer['predictions'][0]} differs from in-process {expected}")
    for call in calls.values():  # warm up: first requests load lazily imported code
        for _ in range(5):
            call()
    timings: dict[tuple[str, int], list[float]] = {key: [] for key in calls}
    timings.update({(kind, size): [] for kind in KINDS[4:] for size in BATCHES})
    for _ in range(requests):
        for (kind, size), call in calls.items():
            start = time.perf_counter()
            answer = call()
            timings[(kind, size)].append((time.perf_counter() - start) * 1000)
            if kind == KINDS[3]:  # the server's own split of the same request (Server-Timing)
                parts = dict(item.split(";dur=") for item in answer.headers["server-timing"].split(", "))
                timings[(KINDS[4], size)].append(float(parts["features"]))
                timings[(KINDS[5], size)].append(float(parts["model"]))
    http.close()
    rows = []
    for (kind, size), values in timings.items():
        rows.append({"kind": kind, "batch": size, "p50_ms": statistics.median(values), "p99_ms": percentile(values, 0.99)})
    return {"model": name, "version": version, "requests": requests, "rows": rows}


def markdown(result: dict[str, Any]) -> str:
    base = {r["batch"]: r["p50_ms"] for r in result["rows"] if r["kind"] == KINDS[0]}
    lines = [
        "## Online serving",
        "",
        f"`{result['model']}` v{result['version']} on the model server (`modelfleet.serving`, a component process of the "
        f"embedded platform), {result['requests']} requests per cell, interleaved. Command: "
        "`.venv/bin/python -m tests.benchmarks.run --only serving`.",
        "",
        "| what | batch | p50 ms | p99 ms | p50 / in-process |",
        "|---|---:|---:|---:|---:|",
    ]
    for row in sorted(result["rows"], key=lambda r: (KINDS.index(r["kind"]), r["batch"])):
        lines.append(f"| {row['kind']} | {row['batch']} | {row['p50_ms']:.2f} | {row['p99_ms']:.2f} | "
                     f"{row['p50_ms'] / base[row['batch']]:.1f}x |")
    lines += [
        "",
        "In-process is the floor (features already in memory). `/predict` = HTTP + the Feast online read + the model; "
        "the two rows under it are the server's own split of those requests (its `Server-Timing` header). The Feast read "
        "is also timed alone in the benchmark process, which competes for the 2 cores with the client and the server.",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    print(markdown(measure(int(sys.argv[1]) if len(sys.argv) > 1 else 300)))

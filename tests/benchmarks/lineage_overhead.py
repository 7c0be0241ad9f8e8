"""What lineage costs one pipeline: DVC snapshots and tracing on vs. the same pipeline without them, in one go.

Two embedded platforms run side by side, each parsing only the one pipeline:

- with lineage: the fleet's DAG (DVC add + push of the training set and the
  validation report in `train`), Airflow tracing on, spans to the platform's
  own OTLP receiver;
- without: the same DAG whose trainer records a plain md5 instead of calling
  DVC (tests/benchmarks/lineage_dags/without_lineage), MODELFLEET_TRACING=off.

Runs alternate between the two so load drift hits both alike. Reported: the
DAG run's wall time (queued to end), the `train` task's duration (where the
snapshots happen) and the sum of all task durations, medians and ratios.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

from tests.benchmarks.overhead import _cli, _forget, _free_port, _platform_run, scoped_environ

REPO = Path(__file__).resolve().parents[2]
DAGS = Path(__file__).resolve().parent / "lineage_dags"
TENANT, MODEL = "lending", "application_default"
DAG_ID = f"{TENANT}__{MODEL}"
VARIANTS = {"with": ("with_lineage", "on"), "without": ("without_lineage", "off")}


def _seconds(start: str | None, end: str | None) -> float:
    if not start or not end:
        return 0.0
    return (datetime.fromisoformat(end.replace("Z", "+00:00")) - datetime.fromisoformat(start.replace("Z", "+00:00"))).total_seconds()


def measure(repeats: int = 3) -> dict:
    from mlflow import MlflowClient

    from modelfleet.runtime.api_client import AirflowApi
    from modelfleet.runtime.config import EmbeddedConfig
    from modelfleet.runtime.fleet_run import wait_for_dags
    from modelfleet.runtime.landing import land
    from modelfleet.specs.loader import load_pipeline

    day = datetime.now(timezone.utc).date() - timedelta(days=1)
    results: dict[str, dict[str, list[float]]] = {name: {"run_s": [], "train_s": [], "tasks_s": []} for name in VARIANTS}
    with tempfile.TemporaryDirectory() as tmp:
        platforms: dict[str, dict] = {}
        for name, (folder, tracing) in VARIANTS.items():
            ours = {"MODELFLEET_HOME": f"{tmp}/{name}", "MODELFLEET_API_PORT": str(_free_port()),
                    "MODELFLEET_MLFLOW_PORT": str(_free_port()), "MODELFLEET_SERVING_PORT": str(_free_port()),
                    "MODELFLEET_OTLP_PORT": str(_free_port()), "MODELFLEET_DAGS_FOLDER": str(DAGS / folder),
                    "MODELFLEET_TRACING": tracing}
            env = {k: v for k, v in os.environ.items() if k not in ("AIRFLOW_HOME", "AIRFLOW__CORE__DAGS_FOLDER", "MODELFLEET_OTLP_ENDPOINT")}
            env.update(ours)
            with scoped_environ(ours):
                config = EmbeddedConfig.from_env()
                land([load_pipeline(TENANT, MODEL)], day)
            env["MLFLOW_TRACKING_URI"] = env["AIRFLOW_CONN_MLFLOW_DEFAULT"] = config.mlflow_url
            platforms[name] = {"env": env, "config": config}
        try:
            for name, platform in platforms.items():
                _cli(platform["env"], "up")
                platform["api"] = AirflowApi(platform["config"])
                wait_for_dags(platform["api"], {DAG_ID})
                platform["registry"] = MlflowClient(tracking_uri=platform["config"].mlflow_url,
                                                    registry_uri=platform["config"].mlflow_url)
            for i in range(repeats):
                for name, platform in platforms.items():
                    api, run_id = platform["api"], f"bench_{name}_{i}__{day.isoformat()}"
                    _forget(platform["registry"], DAG_ID)

                    def tasks(api: AirflowApi = api, run_id: str = run_id, name: str = name) -> None:
                        found = api.task_instances(run_id)
                        results[name]["train_s"].append(sum(_seconds(t["start_date"], t["end_date"]) for t in found if t["task_id"] == "train"))
                        results[name]["tasks_s"].append(sum(_seconds(t["start_date"], t["end_date"]) for t in found))

                    results[name]["run_s"].append(_platform_run(api, DAG_ID, day, run_id, before_delete=tasks))
                    print(f"{name} #{i}: run {results[name]['run_s'][-1]:.1f} s, train {results[name]['train_s'][-1]:.1f} s", file=sys.stderr)
            spans = platforms["with"]["config"].spans_file
            span_count = sum(1 for _ in spans.open()) if spans.exists() else 0
        finally:
            for platform in platforms.values():
                _cli(platform["env"], "down")
    medians = {name: {k: statistics.median(v) for k, v in values.items()} for name, values in results.items()}
    return {"pipeline": DAG_ID, "repeats": repeats, "runs": results, "median": medians, "spans_exported": span_count,
            "ratio": {k: medians["with"][k] / medians["without"][k] for k in ("run_s", "train_s", "tasks_s")}}


def markdown(result: dict) -> str:
    m, r, runs = result["median"], result["ratio"], result["runs"]

    def row(label: str, key: str) -> str:
        return (f"| {label} | {m['with'][key]:.1f} s | {m['without'][key]:.1f} s | {m['with'][key] - m['without'][key]:+.1f} s "
                f"| **{r[key]:.2f}x** | {', '.join(f'{v:.1f}' for v in runs['with'][key])} / {', '.join(f'{v:.1f}' for v in runs['without'][key])} |\n")

    return (
        "## Lineage overhead (DVC snapshots and tracing, one pipeline)\n\n"
        f"`{result['pipeline']}` (xgboost, 2,000 rows) on two embedded platforms side by side, each parsing only this "
        f"pipeline, {result['repeats']} runs each, alternating. **With**: the fleet's DAG, `train` adds the training set "
        "and validation report to DVC and pushes them to the local remote; Airflow tracing on, spans exported over "
        f"OTLP/HTTP to the platform's receiver ({result['spans_exported']} spans kept). **Without**: the same DAG whose "
        "trainer records a plain md5 instead (`tests/benchmarks/lineage_dags/without_lineage`), `MODELFLEET_TRACING=off`.\n\n"
        "| median | with lineage | without | difference | ratio | runs (with / without) |\n|---|---:|---:|---:|---:|---|\n"
        + row("DAG run, queued to end", "run_s") + row("`train` task", "train_s") + row("all task durations, summed", "tasks_s")
    )


if __name__ == "__main__":
    print(json.dumps(measure(int(sys.argv[1]) if len(sys.argv) > 1 else 3), indent=2))

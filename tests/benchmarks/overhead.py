"""Platform overhead: one pipeline through Airflow vs. the same stage code called directly in one process.

Both sides run the same operators on the same landed data against the same
MLflow server, each starting from an empty registry for that model. The
platform side is timed from trigger (queued_at) to the DAG run's end; the
direct side is the wall time of one Python process that imports what it
needs and runs sensor check -> validate -> features -> train -> evaluate ->
register -> deploy. Repeats alternate, so load drift hits both sides alike.
"""

from __future__ import annotations

import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PIPELINE = ("lending", "application_default")

_DIRECT = r"""
import sys, time
start = time.perf_counter()
from tests.benchmarks.overhead import direct_run
direct_run(sys.argv[1], sys.argv[2], sys.argv[3])
print(time.perf_counter() - start)
"""


def direct_run(tenant: str, model: str, ds: str) -> None:
    """The pipeline's stages in order, in this process (the baseline)."""
    from modelfleet.data_interval import data_interval_end
    from modelfleet.hooks.data_store import DataStoreHook
    from modelfleet.io import rendered_data_path
    from modelfleet.operators.deploy import DeployModelOperator
    from modelfleet.operators.evaluate import EvaluateModelOperator
    from modelfleet.operators.features import BuildFeaturesOperator
    from modelfleet.operators.register import RegisterModelOperator
    from modelfleet.operators.train import TrainModelOperator
    from modelfleet.operators.validate_data import ValidateDataOperator
    from modelfleet.specs.loader import load_pipeline
    from tests.support.stage_run import StageRun

    pipeline = load_pipeline(tenant, model)
    run = StageRun(ds)
    check = DataStoreHook(aws_conn_id=None).check(rendered_data_path(pipeline, ds), pipeline.model.data.min_size_bytes,
                                                  pipeline.model.data.max_age, data_interval_end(run.context()))
    assert check.ready, check.reason
    ids = {"tenant_id": tenant, "model_name": model}
    for operator in (
        ValidateDataOperator(task_id="validate_data", **ids),
        BuildFeaturesOperator(task_id="build_features", **ids),
        TrainModelOperator(task_id="train", candidate="main", **ids),
        EvaluateModelOperator(task_id="evaluate", train_task_ids=["train"], **ids),
        RegisterModelOperator(task_id="register", **ids),
        DeployModelOperator(task_id="deploy", **ids),
    ):
        run.run(operator)
    assert run.ti.xcoms["deploy"], "the direct run deployed nothing"


@contextmanager
def scoped_environ(values: dict[str, str]) -> Iterator[None]:
    """`values` in os.environ inside the block, the previous environment after: this process lands data and reads the
    configuration of one benchmark platform at a time."""
    with pytest.MonkeyPatch.context() as patch:
        for key, value in values.items():
            patch.setenv(key, value)
        yield


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _cli(env: dict[str, str], *args: str) -> None:
    subprocess.run([sys.executable, "-m", "modelfleet.cli.main", *args], env=env, cwd=REPO, check=True,
                   capture_output=True, text=True, timeout=900)


def measure(repeats: int = 3) -> dict:
    tenant, model = PIPELINE
    dag_id = f"{tenant}__{model}"
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "MODELFLEET_HOME": f"{tmp}/home", "MODELFLEET_API_PORT": str(_free_port()),
               "MODELFLEET_MLFLOW_PORT": str(_free_port()), "MODELFLEET_SERVING_PORT": str(_free_port()),
               "MODELFLEET_OTLP_PORT": str(_free_port())}
        for key in ("AIRFLOW_HOME", "AIRFLOW__CORE__DAGS_FOLDER", "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"):
            env.pop(key, None)
        ours = ("MODELFLEET_HOME", "MODELFLEET_API_PORT", "MODELFLEET_MLFLOW_PORT", "MODELFLEET_SERVING_PORT", "MODELFLEET_OTLP_PORT")
        os.environ.update({key: env[key] for key in ours})  # this process lands data and talks to the same platform
        from modelfleet.runtime.api_client import AirflowApi
        from modelfleet.runtime.config import EmbeddedConfig
        from modelfleet.runtime.fleet_run import wait_for_dags
        from modelfleet.runtime.landing import land
        from modelfleet.specs.loader import load_pipeline

        config = EmbeddedConfig.from_env()
        env["MLFLOW_TRACKING_URI"] = env["AIRFLOW_CONN_MLFLOW_DEFAULT"] = config.mlflow_url
        # One logical date for all runs (any date: freshness is judged at its own data interval end); each side
        # overwrites the same run folder and starts from an empty registry.
        day = datetime.now(timezone.utc).date() - timedelta(days=1)
        land([load_pipeline(tenant, model)], day)
        _cli(env, "up")
        try:
            api = AirflowApi(config)
            wait_for_dags(api, {dag_id})
            from mlflow import MlflowClient

            registry = MlflowClient(tracking_uri=config.mlflow_url, registry_uri=config.mlflow_url)
            direct, platform = [], []
            for i in range(repeats):
                _forget(registry, dag_id)
                out = subprocess.run([sys.executable, "-c", _DIRECT, tenant, model, day.isoformat()], env=env, cwd=REPO,
                                     capture_output=True, text=True, timeout=900)
                if out.returncode:
                    raise RuntimeError(out.stderr[-3000:])
                direct.append(float(out.stdout.strip().splitlines()[-1]))
                _forget(registry, dag_id)
                platform.append(_platform_run(api, dag_id, day, f"bench_{i}__{day.isoformat()}"))
        finally:
            _cli(env, "down")
            for key in ours:
                os.environ.pop(key, None)
    return {"pipeline": dag_id, "direct_s": direct, "platform_s": platform,
            "ratio": statistics.median(platform) / statistics.median(direct)}


def _forget(registry: object, name: str) -> None:
    """Start each side from an empty registry for the model, so both train, register and deploy the same way."""
    from mlflow.exceptions import MlflowException

    try:
        registry.delete_registered_model(name)
    except MlflowException:
        pass


def _platform_run(api: object, dag_id: str, day: date, run_id: str, timeout: float = 900.0,
                  before_delete: Callable[[], None] | None = None) -> float:
    """Trigger, wait, and delete the run again: Airflow keeps one run per logical date, and every repeat uses the same day.

    `before_delete` reads what it needs of the finished run (its task instances) before it goes.
    """
    from modelfleet.data_interval import start_of_day

    if api.trigger(dag_id, run_id, start_of_day(day).isoformat()) is None:
        raise RuntimeError(f"{dag_id}: a run for {day} already exists")
    if api.paused_by_dag().get(dag_id):
        api.set_paused(dag_id, False)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = api.get_run(dag_id, run_id)
        if run and run["state"] in ("success", "failed"):
            if run["state"] != "success":
                raise RuntimeError(f"{dag_id} {run_id} failed")
            queued = datetime.fromisoformat(run["queued_at"].replace("Z", "+00:00"))
            ended = datetime.fromisoformat(run["end_date"].replace("Z", "+00:00"))
            if before_delete:
                before_delete()
            api.request("DELETE", f"/dags/{dag_id}/dagRuns/{run_id}")
            return (ended - queued).total_seconds()
        time.sleep(1.0)
    raise TimeoutError(f"{dag_id} {run_id} did not finish in {timeout:.0f}s")


def markdown(result: dict, repeats: int) -> str:
    direct, platform = statistics.median(result["direct_s"]), statistics.median(result["platform_s"])
    return (
        "## Platform overhead (one pipeline)\n\n"
        f"`{result['pipeline']}` (xgboost, 2,000 rows), median of {repeats} alternating runs, both against the same "
        "MLflow server and each from an empty registry for the model. Direct: the same operators called in order in "
        "one process (imports included). Platform: trigger to DAG-run end on the embedded default "
        "(scheduler, LocalExecutor, a task process per stage).\n\n"
        "| path | median | runs |\n|---|---:|---|\n"
        f"| direct, one process | {direct:.1f} s | {', '.join(f'{v:.1f}' for v in result['direct_s'])} |\n"
        f"| Airflow embedded default | {platform:.1f} s | {', '.join(f'{v:.1f}' for v in result['platform_s'])} |\n"
        f"| **ratio platform / direct** | **{result['ratio']:.1f}x** | |\n"
    )


if __name__ == "__main__":
    print(json.dumps(measure(int(sys.argv[1]) if len(sys.argv) > 1 else 3), indent=2))

"""Fixtures for the platform's unit tests: a small valid fleet written into a temporary folder, and for
the stage tests a copy of the payments tenant, a real MLflow store, S3 (moto) and a webhook receiver."""

from __future__ import annotations

import json
import os
import shutil
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml

TENANT: dict[str, Any] = {
    "id": "acme",
    "name": "Acme Risk",
    "owners": ["@acme/ml", "ml@acme.example"],
    "alerts": {"slack_conn_id": "acme_slack", "email": ["oncall@acme.example"]},
    "gpu_quota": {"a10g": {"nominal": 1, "borrowing_limit": 0}},
    "priority_tier": "high",
    "allowed_queues": ["cpu", "gpu"],
    "data_root": "acme",
}

MODEL: dict[str, Any] = {
    "name": "fraud",
    "description": "Fraud on card payments.",
    "task": "classification",
    "framework": "xgboost",
    "data": {"path": "tx/{ds}.parquet", "format": "parquet", "min_size_bytes": 10, "max_age": "1d", "generator": "acme.datagen:tx"},
    "validation": {
        "columns": [
            {"name": "card_id", "dtype": "int", "nullable": False, "min": 1},
            {"name": "event_timestamp", "dtype": "datetime", "nullable": False},
            {"name": "amount", "dtype": "float", "nullable": False, "min": 0, "max": 1000},
            {"name": "channel", "dtype": "str", "allowed": ["web", "pos"]},
            {"name": "is_fraud", "dtype": "int", "allowed": [0, 1]},
        ],
        "min_rows": 10,
    },
    "features": {"join_keys": ["card_id"], "views": ["acme__tx"], "label": "is_fraud"},
    "training": {"hyperparameters": {"max_depth": 3, "num_boost_round": 10}, "resources": {"device": "cpu"}},
    "evaluation": {"metric": "auc", "threshold": 0.6},
    "schedule": "0 2 * * *",
}


def write_tenant(base: Path, tenant: dict[str, Any], models: dict[str, Any]) -> Path:
    folder = base / tenant["id"] if isinstance(tenant.get("id"), str) else base / "broken"
    (folder / "models").mkdir(parents=True, exist_ok=True)
    (folder / "tenant.yaml").write_text(yaml.safe_dump(tenant))
    for name, model in models.items():
        path = folder / "models" / f"{name}.yaml"
        path.write_text(model if isinstance(model, str) else yaml.safe_dump(model))
    return folder


CAPACITY: dict[str, Any] = {
    "gpu_classes": {"a10g": "test GPUs", "a100": "test GPUs"},
    "hosts": {"g1": {"a10g": [0, 1]}, "g2": {"a10g": [0, 1]}, "g3": {"a100": [0]}},
}
"""The small fleet's GPU capacity: 4 a10g on two hosts of 2, 1 a100."""


@pytest.fixture
def fleet_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Two tenants: acme (two models) and globex (one model), and the GPU capacity they are checked against."""
    capacity = tmp_path / "capacity.yaml"
    capacity.write_text(yaml.safe_dump(CAPACITY))
    monkeypatch.setenv("MODELFLEET_CAPACITY_FILE", str(capacity))
    base = tmp_path / "tenants"
    second = {**MODEL, "name": "churn"}
    write_tenant(base, TENANT, {"fraud": MODEL, "churn": second})
    globex = {**TENANT, "id": "globex", "alerts": {"slack_conn_id": "globex_slack"}, "data_root": "globex"}
    write_tenant(base, globex, {"fraud": {**MODEL, "features": {**MODEL["features"], "views": ["globex__tx"]}, "data": {**MODEL["data"], "generator": "globex.datagen:tx"}}})
    return base


@pytest.fixture
def data_root(tmp_path: Path) -> Path:
    root = tmp_path / "data"
    root.mkdir()
    return root


# --- Stage tests: a real tenant copy, real files, a real MLflow store, real local servers. ---

from support.stage_run import StageRun, TaskInstanceStub  # noqa: E402,F401 - re-exported for the stage tests (tests/ is a source root)
from support.tenant_copy import use_tenant_copy  # noqa: E402

REPO = Path(__file__).resolve().parents[3]
DAY = date(2026, 11, 19)
NEXT_DAY = DAY + timedelta(days=1)
"""Fixed logical dates of the stage tests (train on DAY, score NEXT_DAY): freshness is judged at each
run's data interval end, so these dates give the same verdicts on whatever day the suite runs."""


@dataclass
class TenantHome:
    """MODELFLEET_HOME in a temporary folder with a copy of the payments tenant as the fleet."""

    root: Path
    tenants: Path
    state: Path

    def pipeline(self, model: str) -> Any:
        from modelfleet.specs.loader import load_pipeline

        return load_pipeline("payments", model)

    def edit_spec(self, model: str, change: Callable[[dict[str, Any]], None]) -> None:
        path = self.tenants / "payments" / "models" / f"{model}.yaml"
        spec = yaml.safe_load(path.read_text())
        change(spec)
        path.write_text(yaml.safe_dump(spec, sort_keys=False))

    def land(self, model: str, day: date, rows: int = 1000, **generator_args: Any) -> Path:
        """The day's input, written by the tenant's own generator (with `bad_rows`/`drift` when given)."""
        from modelfleet.io import rendered_data_path
        from modelfleet.runtime.landing import land
        from modelfleet.training.base import import_string

        pipeline = self.pipeline(model)
        target = Path(rendered_data_path(pipeline, day.isoformat()))
        if not generator_args:
            land([pipeline], day, rows=rows)
            return target
        frame = import_string(pipeline.model.data.generator)(day, rows=rows, **generator_args)
        target.parent.mkdir(parents=True, exist_ok=True)
        frame.to_parquet(target, index=False)
        return target

    def run_dir(self, model: str, ds: str) -> Path:
        return self.state / "runs" / f"payments__{model}" / ds


@pytest.fixture
def tenant_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> TenantHome:
    tenants, state = use_tenant_copy(tmp_path, monkeypatch)
    return TenantHome(tmp_path, tenants, state)


@pytest.fixture(scope="session")
def mlflow_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty, migrated MLflow SQLite store (migrating takes ~7 s; copying the file, milliseconds)."""
    from mlflow import MlflowClient

    folder = tmp_path_factory.mktemp("mlflow-template")
    cwd = os.getcwd()
    os.chdir(folder)  # the default experiment's artifact root is ./mlruns
    try:
        uri = f"sqlite:///{folder / 'mlflow.db'}"
        MlflowClient(tracking_uri=uri, registry_uri=uri).search_experiments()
    finally:
        os.chdir(cwd)
    return folder / "mlflow.db"


@pytest.fixture
def mlflow_uri(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mlflow_template: Path) -> Iterator[str]:
    """A real MLflow tracking and registry store of this test's own: SQLite, artifacts under tmp_path/mlruns.

    No Airflow connection `mlflow_default` exists, so MlflowRegistryHook()
    falls back to MLFLOW_TRACKING_URI, as operators create it with no arguments.
    """
    import mlflow

    shutil.copy(mlflow_template, tmp_path / "mlflow.db")
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    monkeypatch.delenv("AIRFLOW_CONN_MLFLOW_DEFAULT", raising=False)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    monkeypatch.chdir(tmp_path)  # new experiments put artifacts in ./mlruns
    yield uri
    while mlflow.active_run():
        mlflow.end_run()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """A real S3 API (moto's server) on loopback for the whole session."""
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def s3_bucket(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> tuple[Any, str]:
    """A fresh bucket and the Airflow connection `aws_test` (JSON form, from the environment) pointing at it."""
    import boto3

    monkeypatch.setenv("AIRFLOW_CONN_AWS_TEST", json.dumps({
        "conn_type": "aws", "login": "x", "password": "y",
        "extra": {"endpoint_url": moto_endpoint, "region_name": "us-east-1"},
    }))
    client = boto3.client("s3", endpoint_url=moto_endpoint, region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="y")
    bucket = "b-" + "".join(c if c.isalnum() else "-" for c in request.node.name.lower())[:50].strip("-")
    client.create_bucket(Bucket=bucket)
    return client, bucket


@dataclass
class WebhookReceiver:
    url: str
    port: int
    received: list[dict[str, Any]] = field(default_factory=list)
    status: int = 200


@pytest.fixture
def webhook_receiver() -> Iterator[WebhookReceiver]:
    """A real HTTP server on loopback that records JSON POST bodies and answers `status`."""
    receiver = WebhookReceiver("", 0)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            receiver.received.append({"path": self.path, "body": json.loads(body or b"null"),
                                      "content_type": self.headers.get("Content-Type")})
            self.send_response(receiver.status)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver.port = server.server_address[1]
    receiver.url = f"http://127.0.0.1:{receiver.port}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield receiver
    server.shutdown()
    server.server_close()


@dataclass
class Stages:
    """Builds the payments pipeline's stage operators and runs them for a logical date (see StageRun)."""

    home: TenantHome
    mlflow_uri: str
    day: date = DAY
    next_day: date = NEXT_DAY

    def operator(self, cls: type, task_id: str, model: str, **kwargs: Any) -> Any:
        return cls(task_id=task_id, tenant_id="payments", model_name=model, **kwargs)

    def run_for(self, day: date) -> StageRun:
        return StageRun(day.isoformat())

    def training_set(self, model: str, run: StageRun) -> Path:
        """build_features' file contract (declared columns of the day's rows in `training_set.parquet`),
        written directly: how the features stage gets them (a plain read, Feast) is not under test here."""
        from modelfleet.io import read_frame, rendered_data_path

        spec = self.home.pipeline(model).model
        frame = read_frame(rendered_data_path(self.home.pipeline(model), run.ds), spec.data.format)
        out = self.home.run_dir(model, run.ds) / "training_set.parquet"
        out.parent.mkdir(parents=True, exist_ok=True)
        frame[[c.name for c in spec.validation.columns if c.name in frame.columns]].to_parquet(out, index=False)
        return out

    def train(self, model: str, day: date, rows: int = 1000, **train_args: Any) -> StageRun:
        """Land the day's data, write the training set and run `train`."""
        from modelfleet.operators.train import TrainModelOperator

        self.home.land(model, day, rows=rows)
        run = self.run_for(day)
        self.training_set(model, run)
        run.run(self.operator(TrainModelOperator, "train", model, **train_args))
        return run

    def through(self, model: str, day: date, last: str = "deploy", rows: int = 1000) -> StageRun:
        """train -> evaluate -> register [-> deploy] for one day."""
        from modelfleet.operators.deploy import DeployModelOperator
        from modelfleet.operators.evaluate import EvaluateModelOperator
        from modelfleet.operators.register import RegisterModelOperator

        run = self.train(model, day, rows=rows)
        run.run(self.operator(EvaluateModelOperator, "evaluate", model, train_task_ids=["train"]))
        run.run(self.operator(RegisterModelOperator, "register", model))
        if last == "deploy":
            run.run(self.operator(DeployModelOperator, "deploy", model))
        return run

    @property
    def client(self) -> Any:
        from mlflow import MlflowClient

        return MlflowClient(tracking_uri=self.mlflow_uri, registry_uri=self.mlflow_uri)

    def champion(self, name: str) -> str | None:
        from modelfleet.hooks.mlflow_registry import CHAMPION, MlflowRegistryHook

        version = MlflowRegistryHook(tracking_uri=self.mlflow_uri).alias_version(name, CHAMPION)
        return None if version is None else str(version.version)


@pytest.fixture
def stages(tenant_home: TenantHome, mlflow_uri: str) -> Stages:
    return Stages(tenant_home, mlflow_uri)


@pytest.fixture
def stage_run() -> type[StageRun]:
    """The StageRun class, for tests that drive one operator with hand-made upstream XComs."""
    return StageRun


@pytest.fixture
def day() -> date:
    """The stage tests' logical date (fixed)."""
    return DAY

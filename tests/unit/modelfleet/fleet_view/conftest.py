"""Fixtures of the Fleet page's tests: one MLflow server and one small fleet for the session (support.small_fleet):
the Airflow database is the session's, so the fleet's runs can be written once."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.mlflow_server import mlflow_server
from support.small_fleet import SmallFleet, held_lease, populate


@pytest.fixture(scope="session")
def small_fleet(tmp_path_factory: pytest.TempPathFactory, mlflow_template: Path) -> Iterator[SmallFleet]:
    folder = tmp_path_factory.mktemp("mlflow")
    shutil.copy(mlflow_template, folder / "mlflow.db")  # migrated already: the server starts in seconds
    with mlflow_server(folder) as server:
        yield populate(server.url)


@pytest.fixture
def lease(small_fleet: SmallFleet) -> Iterator[object]:
    """A GPU lease held during the test (released after: other tests count open leases)."""
    with held_lease() as held:
        yield held

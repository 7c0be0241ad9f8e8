"""Shared by the DVC tests: no remote configured from outside, and a state folder of the test's own."""

from __future__ import annotations

import pytest

DVC_SETTINGS = ("AIRFLOW_CONN_DVC_DEFAULT", "MODELFLEET_DVC_REMOTE", "MODELFLEET_DVC_S3_ENDPOINT", "AWS_ENDPOINT_URL")


@pytest.fixture
def no_dvc_settings(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    for name in DVC_SETTINGS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("MODELFLEET_HOME", str(tmp_path / "home"))

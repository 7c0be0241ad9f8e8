"""MlflowRegistryHook: where the tracking URI comes from, and the registry helpers on a real SQLite store."""

from __future__ import annotations

import pytest

from modelfleet.hooks.mlflow_registry import MlflowRegistryHook


def test_explicit_uri_wins(monkeypatch):
    monkeypatch.setenv("AIRFLOW_CONN_MLFLOW_DEFAULT", "http://127.0.0.1:5999")
    assert MlflowRegistryHook(tracking_uri="sqlite:///x.db").tracking_uri == "sqlite:///x.db"


def test_connection_wins_over_the_environment(monkeypatch):
    monkeypatch.setenv("AIRFLOW_CONN_MLFLOW_DEFAULT", "http://127.0.0.1:5999")
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "sqlite:///elsewhere.db")
    assert MlflowRegistryHook().tracking_uri == "http://127.0.0.1:5999"


def test_without_a_connection_the_environment_is_used(monkeypatch):
    monkeypatch.delenv("AIRFLOW_CONN_MLFLOW_DEFAULT", raising=False)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "sqlite:///fallback.db")
    assert MlflowRegistryHook().tracking_uri == "sqlite:///fallback.db"


def test_without_either_the_error_says_what_to_set(monkeypatch):
    monkeypatch.delenv("AIRFLOW_CONN_MLFLOW_DEFAULT", raising=False)
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    with pytest.raises(RuntimeError, match="define the Airflow connection 'mlflow_default' or set MLFLOW_TRACKING_URI"):
        MlflowRegistryHook().tracking_uri  # noqa: B018


def test_registry_helpers_on_a_real_store(mlflow_uri, tmp_path):
    hook = MlflowRegistryHook()
    assert hook.tracking_uri == mlflow_uri
    assert hook.alias_version("nope", "champion") is None
    hook.ensure_registered_model("t__m", {"tenant": "t"})
    hook.ensure_registered_model("t__m", {"tenant": "other"})  # idempotent: the first tags stay
    assert hook.client.get_registered_model("t__m").tags == {"tenant": "t"}
    assert hook.version_for_logical_date("t__m", "2026-11-20") is None
    source = tmp_path / "artifacts"
    source.mkdir()
    created = hook.client.create_model_version("t__m", str(source), tags={"logical_date": "2026-11-20"})
    assert hook.version_for_logical_date("t__m", "2026-11-20").version == created.version
    assert hook.version_for_logical_date("t__m", "2026-11-21") is None
    hook.client.set_registered_model_alias("t__m", "champion", created.version)
    assert hook.alias_version("t__m", "champion").version == created.version

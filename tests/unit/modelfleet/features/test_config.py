"""feature_repo/: the embedded configuration points into the state folder; the production one at Redis and SQL."""

from __future__ import annotations

from pathlib import Path

import pytest

from modelfleet.features.config import FeatureStoreConfigError, load_repo_config, read_config


def test_embedded_default_keeps_all_state_under_modelfleet_home(feast_home: Path) -> None:
    config = load_repo_config()
    assert config.project == "modelfleet" and config.provider == "local"
    assert config.registry.registry_type == "file" and config.registry.path == str(feast_home / "registry.db")
    assert config.online_store.type == "sqlite" and config.online_store.path == str(feast_home / "online_store.db")
    assert config.offline_store.type == "file"


def test_production_variant_uses_redis_and_a_sql_registry(feast_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MODELFLEET_FEAST_REGISTRY_URL", "postgresql+psycopg2://feast:secret@db:5432/feast")
    monkeypatch.setenv("MODELFLEET_FEAST_REDIS", "redis:6379,db=1")
    monkeypatch.setenv("MODELFLEET_FEAST_CONFIG", "feature_repo/production/feature_store.yaml")
    config = load_repo_config()
    assert config.registry.registry_type == "sql" and config.registry.path.startswith("postgresql+psycopg2://")
    assert config.online_store.type == "redis" and config.online_store.connection_string == "redis:6379,db=1"


def test_an_unset_variable_is_named(feast_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MODELFLEET_FEAST_REGISTRY_URL", raising=False)
    with pytest.raises(FeatureStoreConfigError, match=r"production/feature_store.yaml: \$\{MODELFLEET_FEAST_REGISTRY_URL\} is used but not set"):
        read_config("feature_repo/production/feature_store.yaml")

"""Fixtures for the platform's unit tests: a small valid fleet written into a temporary folder."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

TENANT: dict[str, Any] = {
    "id": "acme",
    "name": "Acme Risk",
    "owners": ["@acme/ml", "ml@acme.example"],
    "alerts": {"slack_conn_id": "acme_slack", "email": ["oncall@acme.example"]},
    "gpu_quota": 1,
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
    "features": {"entity": "card", "join_keys": ["card_id"], "views": ["acme__tx"], "label": "is_fraud"},
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


@pytest.fixture
def fleet_dir(tmp_path: Path) -> Path:
    """Two tenants: acme (two models) and globex (one model)."""
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

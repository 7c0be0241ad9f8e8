"""Where the platform finds its repository, tenants and runtime state.

Everything runtime (AIRFLOW_HOME, MLflow and Feast stores, generated data)
lives under one gitignored folder so that `modelfleet down` plus deleting it
returns a clone to pristine. Each location can be overridden by environment
variable, which is how tests and the distributed modes point elsewhere.
"""

from __future__ import annotations

import os
from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent


def repo_root() -> Path:
    """The monorepo root: MODELFLEET_REPO, else the folder above platform/."""
    configured = os.environ.get("MODELFLEET_REPO")
    if configured:
        return Path(configured).resolve()
    return _PACKAGE_DIR.parent.parent


def tenants_dir() -> Path:
    """Folder holding one sub-folder per team (tenant.yaml, models/*.yaml)."""
    return Path(os.environ.get("MODELFLEET_TENANTS_DIR", repo_root() / "tenants")).resolve()


def state_dir() -> Path:
    """Gitignored runtime folder of the embedded platform."""
    return Path(os.environ.get("MODELFLEET_HOME", repo_root() / ".modelfleet")).resolve()


def data_root() -> Path:
    """Root under which each tenant's relative `data_root` is resolved."""
    return Path(os.environ.get("MODELFLEET_DATA_ROOT", state_dir() / "data")).resolve()


def capacity_file() -> Path:
    """Declared GPU capacity of the workers (infra config)."""
    return Path(
        os.environ.get("MODELFLEET_CAPACITY_FILE", repo_root() / "infra" / "capacity.yaml")
    ).resolve()


def data_grants_file() -> Path:
    """Absolute and S3 data roots the platform grants to tenants (infra config)."""
    return Path(
        os.environ.get("MODELFLEET_DATA_GRANTS_FILE", repo_root() / "infra" / "data_grants.yaml")
    ).resolve()


def dags_dir() -> Path:
    """The DAG files Airflow parses: the repository's dags/ unless MODELFLEET_DAGS_FOLDER names others (test scenarios)."""
    return Path(os.environ.get("MODELFLEET_DAGS_FOLDER", repo_root() / "dags")).resolve()

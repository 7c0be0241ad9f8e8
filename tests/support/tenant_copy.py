"""A private copy of real tenants, so a test can land data, train, register or break specs without touching the repository."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def use_tenant_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tenant: str | None = "payments") -> tuple[Path, Path]:
    """Copy `tenants/<tenant>` (every tenant when None; specs and datagen, not tests) under `tmp_path` and point the platform at it.

    Returns (tenants folder, state folder): MODELFLEET_TENANTS_DIR and
    MODELFLEET_HOME are set to them, and data lands under the state folder.
    """
    tenants = tmp_path / "tenants"
    ignore = shutil.ignore_patterns("__pycache__", "tests", "BUILD")
    if tenant is None:
        shutil.copytree(REPO / "tenants", tenants, ignore=ignore)
    else:
        shutil.copytree(REPO / "tenants" / tenant, tenants / tenant, ignore=ignore)
    state = tmp_path / "state"
    monkeypatch.setenv("MODELFLEET_TENANTS_DIR", str(tenants))
    monkeypatch.setenv("MODELFLEET_HOME", str(state))
    monkeypatch.delenv("MODELFLEET_DATA_ROOT", raising=False)
    return tenants, state

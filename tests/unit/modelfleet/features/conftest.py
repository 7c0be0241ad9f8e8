"""Fixtures of the Feast tests: a state folder of their own and a small tenant's definitions."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from modelfleet.features.definitions import Column, EntityDefinition, TenantDefinitions, ViewDefinition

DAY = "2026-11-20"
NEXT_DAY = "2026-11-21"


def at(ds: str, hour: int) -> datetime:
    return datetime.fromisoformat(ds).replace(tzinfo=timezone.utc) + timedelta(hours=hour)


@pytest.fixture
def feast_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """MODELFLEET_HOME in tmp: registry, online store and offline files of this test only."""
    monkeypatch.setenv("MODELFLEET_HOME", str(tmp_path / "state"))
    monkeypatch.delenv("MODELFLEET_FEAST_HOME", raising=False)
    monkeypatch.delenv("MODELFLEET_FEAST_CONFIG", raising=False)
    return tmp_path / "state" / "feast"


def make_definitions(
    feast_home: Path, extra: tuple[Column, ...] = (), views: tuple[str, ...] | None = None, tenant: str = "acme"
) -> TenantDefinitions:
    features = (Column("amount", "float"), Column("channel", "str"), Column("is_intl", "bool"), *extra)
    return TenantDefinitions(
        tenant_id=tenant,
        entities=(EntityDefinition(f"{tenant}__card_id", Column("card_id", "int")),),
        views=tuple(
            ViewDefinition(
                name=name, join_keys=(Column("card_id", "int"),), features=features, timestamp_column="event_timestamp",
                ttl_seconds=2 * 86_400, source_path=str(feast_home / "offline" / name),
            )
            for name in (views or (f"{tenant}__tx",))
        ),
    )


@pytest.fixture
def definitions(feast_home: Path) -> TenantDefinitions:
    return make_definitions(feast_home)


@pytest.fixture
def definitions_with(feast_home: Path) -> Callable[..., TenantDefinitions]:
    """definitions_with(extra=(Column, ...), views=(name, ...), tenant=...): the acme definitions, changed."""
    return lambda **changes: make_definitions(feast_home, **changes)


@pytest.fixture
def stamp() -> Callable[[str, int], datetime]:
    """stamp(ds, hour): a UTC instant on a logical date."""
    return at


@pytest.fixture
def rows() -> Callable[..., Any]:
    """rows((card_id, hour, amount, channel), ..., ds=DAY) -> a frame as an input file holds it."""
    import pandas as pd

    def build(*items: tuple[int, int, float, str], ds: str = DAY) -> pd.DataFrame:
        return pd.DataFrame({
            "card_id": [i[0] for i in items],
            "event_timestamp": [at(ds, i[1]) for i in items],
            "amount": [i[2] for i in items],
            "channel": [i[3] for i in items],
            "is_intl": [i[0] % 2 == 0 for i in items],
        })

    return build


@pytest.fixture
def hook(feast_home: Path) -> Any:
    from modelfleet.hooks.feast import FeastHook

    return FeastHook(lock_timeout=60)

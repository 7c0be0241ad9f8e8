"""Real Feast in a temporary folder: point-in-time joins, apply only when changed, materialize, online reads."""

from __future__ import annotations

import math
import time
from typing import Any

import pandas as pd
import pytest

from modelfleet.features.definitions import Column, ViewDefinition
from modelfleet.features.offline import write_day
from modelfleet.features.store import materialize_day, registered_fingerprints, sync_definitions
from modelfleet.specs.model import ModelSpec

DAY, NEXT_DAY = "2026-11-20", "2026-11-21"


def spec_for(view: str = "acme__tx") -> ModelSpec:
    return ModelSpec.model_validate({
        "name": "fraud", "task": "classification", "framework": "xgboost",
        "data": {"path": "tx/{ds}.parquet"},
        "validation": {"columns": [
            {"name": "card_id", "dtype": "int"}, {"name": "event_timestamp", "dtype": "datetime"},
            {"name": "amount", "dtype": "float"}, {"name": "channel", "dtype": "str"},
            {"name": "is_intl", "dtype": "bool"}, {"name": "is_fraud", "dtype": "int"},
        ]},
        "features": {"join_keys": ["card_id"], "views": [view], "label": "is_fraud"},
        "evaluation": {"metric": "auc", "threshold": 0.5},
    })


def timed(label: str, timings: dict[str, float], fn: Any, *args: Any, **kwargs: Any) -> Any:
    start = time.perf_counter()
    result = fn(*args, **kwargs)
    timings[label] = time.perf_counter() - start
    return result


def test_training_set_never_sees_a_value_stamped_after_the_label(hook, definitions, rows, stamp, capsys) -> None:
    view = definitions.views[0]
    write_day(view, rows((1, 1, 10.0, "pos"), (1, 5, 999.0, "web"), (2, 4, 20.0, "pos")), DAY, "in/{ds}.parquet")
    labels = pd.DataFrame({
        "card_id": [1, 1, 2],
        "event_timestamp": [stamp(DAY, 3), stamp(DAY, 6), stamp(DAY, 3)],
        "is_fraud": [0, 1, 0],
    })
    timings: dict[str, float] = {}
    timed("import feast + open store", timings, lambda: hook.store)
    timed("apply", timings, hook.sync_definitions, definitions)
    frame = timed("get_historical_features", timings, hook.training_frame, spec_for(), definitions, labels)

    assert list(frame.columns) == ["card_id", "event_timestamp", "amount", "channel", "is_intl", "is_fraud"]
    assert frame["card_id"].tolist() == [1, 1, 2] and frame["is_fraud"].tolist() == [0, 1, 0]  # the labels' order
    assert frame.loc[0, "amount"] == 10.0 and frame.loc[0, "channel"] == "pos"  # 999 (05:00) is after 03:00
    assert frame.loc[1, "amount"] == 999.0  # at 06:00 the later value is the latest
    assert math.isnan(frame.loc[2, "amount"])  # card 2's first value is stamped 04:00: nothing known at 03:00
    with capsys.disabled():
        print(f"\n[feast timings] {', '.join(f'{k} {v:.2f}s' for k, v in timings.items())}")


def test_apply_runs_only_when_the_definitions_change(hook, definitions, definitions_with) -> None:
    from modelfleet.hooks.feast import FeastHook

    assert hook.sync_definitions(definitions) is True
    assert FeastHook().sync_definitions(definitions) is False  # another task, same definitions: skipped

    grown = definitions_with(extra=(Column("hour", "int"),), views=("acme__tx", "acme__logins"))
    with FeastHook().locked() as store:
        assert sync_definitions(store, grown) is True
        assert {f.name for f in store.get_feature_view("acme__tx").features} == {"amount", "channel", "is_intl", "hour"}
        assert sync_definitions(store, grown) is False

    with FeastHook().locked() as store:  # a view the specs no longer declare leaves the registry
        assert sync_definitions(store, definitions) is True
        assert sorted(registered_fingerprints(store, "acme")) == ["acme__card_id", "acme__tx"]


def test_online_store_holds_the_latest_materialized_values(hook, definitions, rows, capsys) -> None:
    view: ViewDefinition = definitions.views[0]
    write_day(view, rows((1, 1, 10.0, "pos"), (1, 9, 11.0, "web"), (2, 2, 20.0, "pos")), DAY, "in/{ds}.parquet")
    write_day(view, rows((1, 8, 12.0, "pos"), (3, 1, 30.0, "web"), ds=NEXT_DAY), NEXT_DAY, "in/{ds}.parquet")
    timings: dict[str, float] = {}
    with hook.locked() as store:
        sync_definitions(store, definitions)
        first = timed("materialize", timings, materialize_day, store, definitions, ["acme__tx"], DAY)
        assert first["acme__tx"].startswith("materialized 2026-11-20")
    online = timed("get_online_features", timings, hook.online_features, "acme__tx", [{"card_id": 1}, {"card_id": 2}, {"card_id": 3}])
    assert online["amount"].tolist()[:2] == [11.0, 20.0] and pd.isna(online.loc[2, "amount"])  # day 2 not yet

    with hook.locked() as store:
        assert "incrementally" in materialize_day(store, definitions, ["acme__tx"], NEXT_DAY)["acme__tx"]
    online = hook.online_features("acme__tx", pd.DataFrame({"card_id": [3, 1, 2]}), ["amount"])
    assert online.to_dict("list") == {"card_id": [3, 1, 2], "amount": [30.0, 12.0, 20.0]}

    # A rerun of the last date with corrected rows reaches the online store; a backfill of an older date does not.
    write_day(view, rows((1, 8, 13.0, "pos"), (3, 1, 31.0, "web"), ds=NEXT_DAY), NEXT_DAY, "in/{ds}.parquet")
    with hook.locked() as store:
        assert materialize_day(store, definitions, ["acme__tx"], NEXT_DAY)["acme__tx"] == f"rematerialized {NEXT_DAY}"
        assert materialize_day(store, definitions, ["acme__tx"], DAY)["acme__tx"].startswith("skipped")
    online = hook.online_features("acme__tx", [{"card_id": 1}, {"card_id": 3}], ["amount", "channel"])
    assert online["amount"].tolist() == [13.0, 31.0] and online["channel"].tolist() == ["pos", "web"]
    with capsys.disabled():
        print(f"\n[feast timings] {', '.join(f'{k} {v:.2f}s' for k, v in timings.items())}")


def test_a_tenant_reads_only_its_own_views(hook) -> None:
    from modelfleet.features import online_features

    with pytest.raises(ValueError, match="not tenant 'globex'"):
        online_features("globex", "acme__tx", [{"card_id": 1}], hook=hook)


CHILD = """
import sys
from pathlib import Path

import pandas as pd

from modelfleet.features.config import offline_dir
from modelfleet.features.definitions import Column, EntityDefinition, TenantDefinitions, ViewDefinition
from modelfleet.features.offline import write_day
from modelfleet.hooks.feast import FeastHook

tenant, ds = sys.argv[1], sys.argv[2]
view = ViewDefinition(
    name=f"{tenant}__tx", join_keys=(Column("card_id", "int"),), features=(Column("amount", "float"),),
    timestamp_column="event_timestamp", ttl_seconds=86_400, source_path=str(offline_dir() / f"{tenant}__tx"),
)
definitions = TenantDefinitions(tenant, (EntityDefinition(f"{tenant}__card_id", Column("card_id", "int")),), (view,))
frame = pd.DataFrame({"card_id": [1], "event_timestamp": [pd.Timestamp(ds, tz="UTC")], "amount": [10.0]})
write_day(view, frame, ds, "in/{ds}.parquet")
print(FeastHook(lock_timeout=120).refresh(definitions, [view.name], ds)["applied"])
"""


def test_concurrent_pipelines_of_several_tenants_keep_every_definition(hook, feast_home) -> None:
    """Two tenants apply and materialize at once into one file registry: the lock keeps every write."""
    import subprocess
    import sys

    tenants = ["acme", "globex"]
    workers = [
        subprocess.Popen([sys.executable, "-c", CHILD, t, DAY], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for t in tenants
    ]
    outputs = [w.communicate(timeout=180) for w in workers]
    assert [w.returncode for w in workers] == [0, 0], [err[-2000:] for _, err in outputs]
    assert [out.strip().splitlines()[-1] for out, _ in outputs] == ["True", "True"]

    with hook.locked() as store:
        views = {v.name: v for v in store.list_feature_views(allow_cache=False)}
        assert sorted(views) == [f"{t}__tx" for t in tenants]
        assert all(v.most_recent_end_time is not None for v in views.values())
    online = hook.online_features("globex__tx", [{"card_id": 1}], ["amount"])
    assert online["amount"].tolist() == [10.0]

"""The views' offline source: one file per logical date and input, replaced on a rerun."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq

from modelfleet.features.definitions import Column, ViewDefinition
from modelfleet.features.offline import arrow_schema, offline_dates, read_view, write_day

DAY, NEXT_DAY = "2026-11-20", "2026-11-21"


def test_rerunning_a_logical_date_replaces_its_rows(feast_home: Path, definitions, rows) -> None:
    view = definitions.views[0]
    write_day(view, rows((1, 1, 10.0, "pos"), (2, 2, 20.0, "web")), DAY, "tx/{ds}.parquet")
    write_day(view, rows((3, 1, 30.0, "pos"), ds=NEXT_DAY), NEXT_DAY, "tx/{ds}.parquet")
    path, count = write_day(view, rows((1, 1, 11.0, "pos"), (2, 2, 21.0, "web")), DAY, "tx/{ds}.parquet")  # rerun

    table = read_view(view).sort_values(["event_timestamp", "card_id"]).reset_index(drop=True)
    assert count == 2 and len(table) == 3
    assert table["amount"].tolist() == [11.0, 21.0, 30.0]
    assert offline_dates(view) == [DAY, NEXT_DAY]
    assert sorted(p.name for p in path.parent.iterdir()) == sorted({path.name, f"{NEXT_DAY}__{path.name.split('__')[1]}"})
    assert not list((feast_home / "offline" / ".tmp").iterdir())  # nothing left aside


def test_every_file_has_the_views_schema_whatever_the_input_holds(feast_home: Path) -> None:
    view = ViewDefinition(
        name="acme__tx", join_keys=(Column("card_id", "int"),),
        features=(Column("amount", "float"), Column("n", "int"), Column("kind", "category"), Column("flag", "bool")),
        timestamp_column="ts", ttl_seconds=86_400, source_path=str(feast_home / "offline" / "acme__tx"),
    )
    frame = pd.DataFrame({
        "card_id": [1.0, 2.0, None], "ts": ["2026-11-20T01:00:00", "2026-11-20T02:00:00", "2026-11-20T03:00:00"],
        "amount": [1, 2, 3], "n": [1.0, None, 3.0], "kind": ["a", None, "b"], "extra": [0, 0, 0],
    })  # `flag` missing, naive timestamps, a row without a key
    path, count = write_day(view, frame, DAY, "tx/{ds}.parquet")
    assert count == 2
    assert pq.read_schema(path).remove_metadata() == arrow_schema(view)
    table = pd.read_parquet(path)
    assert table["n"].tolist()[1] is pd.NA and table["flag"].isna().all()
    assert str(table["ts"].dt.tz) == "UTC"

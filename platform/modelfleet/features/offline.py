"""The views' offline source: one parquet file per (logical date, input) in the view's folder.

Writing a logical date replaces that date's file atomically (write aside,
then rename), so a rerun or a retry of the same date never duplicates rows
and a reader never sees half a file. Every file carries the view's full
schema with the spec dtypes, so Feast reads the folder as one table.
"""

from __future__ import annotations

import hashlib
import os
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

from modelfleet.features.definitions import Column, ViewDefinition

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

_ARROW_TYPES = {"int": "int64", "float": "float64", "str": "string", "category": "string", "bool": "bool_"}
_TMP_DIR = ".tmp"


def input_key(data_path: str) -> str:
    """Short stable id of one input (a spec's data path template): views fed by several inputs keep one file each."""
    return hashlib.sha256(data_path.encode()).hexdigest()[:10]


def day_file(view: ViewDefinition, ds: str, data_path: str) -> Path:
    return Path(view.source_path) / f"{ds}__{input_key(data_path)}.parquet"


def arrow_schema(view: ViewDefinition) -> pa.Schema:
    import pyarrow as pa

    def arrow_type(column: Column) -> pa.DataType:
        if column.dtype == "datetime":
            return pa.timestamp("ns", tz="UTC")
        return getattr(pa, _ARROW_TYPES[column.dtype])()

    fields = [pa.field(c.name, arrow_type(c)) for c in view.join_keys]
    fields.append(pa.field(view.timestamp_column, pa.timestamp("ns", tz="UTC")))
    fields += [pa.field(c.name, arrow_type(c)) for c in view.features]
    return pa.schema(fields)


def to_utc(values: pd.Series) -> pd.Series:
    """Timestamps as UTC instants: naive values are taken as UTC."""
    import pandas as pd

    stamps = pd.to_datetime(values, utc=False)
    if getattr(stamps.dt, "tz", None) is None:
        return stamps.dt.tz_localize("UTC")
    return stamps.dt.tz_convert("UTC")


def conform(frame: pd.DataFrame, columns: list[Column]) -> pd.DataFrame:
    """Columns in the spec's dtypes (nullable where the data has nulls); a missing column becomes nulls."""
    import pandas as pd

    out = pd.DataFrame(index=frame.index)
    for column in columns:
        values = frame[column.name] if column.name in frame.columns else pd.Series(None, index=frame.index, dtype=object)
        if column.dtype == "int":
            out[column.name] = pd.to_numeric(values, errors="coerce").astype("Int64")
        elif column.dtype == "float":
            out[column.name] = pd.to_numeric(values, errors="coerce").astype("float64")
        elif column.dtype == "bool":
            out[column.name] = values.astype("boolean")
        elif column.dtype == "datetime":
            out[column.name] = to_utc(values)
        else:
            out[column.name] = values.astype(object).where(values.notna(), None).map(lambda v: v if v is None else str(v))
    return out


def view_rows(view: ViewDefinition, frame: pd.DataFrame) -> pd.DataFrame:
    """The view's columns of one input frame; rows without keys or timestamp cannot be joined and are dropped."""
    missing = [c for c in (*view.key_names, view.timestamp_column) if c not in frame.columns]
    if missing:
        raise ValueError(f"input of view {view.name!r} lacks its join keys or timestamp {missing}")
    out = conform(frame, list(view.join_keys))
    out[view.timestamp_column] = to_utc(frame[view.timestamp_column])
    out = out.join(conform(frame, list(view.features)))
    return out.dropna(subset=[*view.key_names, view.timestamp_column]).reset_index(drop=True)


def write_day(view: ViewDefinition, frame: pd.DataFrame, ds: str, data_path: str) -> tuple[Path, int]:
    """Replace the view's rows of logical date `ds` from one input; returns the file and its row count."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = view_rows(view, frame)
    target = day_file(view, ds, data_path)
    target.parent.mkdir(parents=True, exist_ok=True)
    aside = target.parent.parent / _TMP_DIR / f"{target.parent.name}.{target.name}.{uuid.uuid4().hex}"
    aside.parent.mkdir(parents=True, exist_ok=True)
    table = pa.Table.from_pandas(rows, schema=arrow_schema(view), preserve_index=False)
    pq.write_table(table, aside)
    os.replace(aside, target)
    return target, len(rows)


def offline_dates(view: ViewDefinition) -> list[str]:
    """Logical dates the view holds rows for, sorted."""
    folder = Path(view.source_path)
    if not folder.is_dir():
        return []
    return sorted({p.name.split("__", 1)[0] for p in folder.glob("*.parquet")})


def read_view(view: ViewDefinition) -> pd.DataFrame:
    """The whole offline table of a view (for checks and tests; Feast reads the folder itself)."""
    import pandas as pd

    files = sorted(Path(view.source_path).glob("*.parquet"))
    if not files:
        return pd.DataFrame(columns=[*view.key_names, view.timestamp_column, *view.feature_names])
    return pd.concat([pd.read_parquet(f) for f in files], ignore_index=True)

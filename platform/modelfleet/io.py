"""Reading and writing the tabular files the stages exchange (local paths or s3:// URIs)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from modelfleet.specs.loader import PipelineSpec
from modelfleet.specs.model import render_ds

if TYPE_CHECKING:
    import pandas as pd


def rendered_data_path(pipeline: PipelineSpec, ds: str) -> str:
    """The input file of one logical date: `{ds}` in the spec's path becomes YYYY-MM-DD."""
    return render_ds(pipeline.data_path, ds)


def read_frame(path: str, fmt: str = "parquet") -> pd.DataFrame:
    import pandas as pd

    return pd.read_parquet(path) if fmt == "parquet" else pd.read_csv(path)

"""Land each pipeline's input for a logical date with its tenant's synthetic generator.

Real data cannot be downloaded here, so the embedded default plays the
upstream producer: every spec with a `data.generator` gets its file written
once per logical date (existing files are kept, so reruns see the same data).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from modelfleet import paths
from modelfleet.io import rendered_data_path
from modelfleet.specs.loader import PipelineSpec
from modelfleet.training.base import import_string


def land(pipelines: list[PipelineSpec], logical_date: date, rows: int = 2000) -> list[str]:
    """Write missing input files; returns the paths written. Same dataset shared by specs is written once."""
    import sys

    tenants = str(paths.tenants_dir())
    if tenants not in sys.path:
        sys.path.insert(0, tenants)
    written: list[str] = []
    for pipeline in pipelines:
        generator = pipeline.model.data.generator
        target = rendered_data_path(pipeline, logical_date.isoformat())
        if not generator or target.startswith("s3://") or Path(target).exists():
            continue
        frame = import_string(generator)(logical_date, rows=rows)
        Path(target).parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(f"{target}.tmp")
        if pipeline.model.data.format == "parquet":
            frame.to_parquet(tmp, index=False)
        else:
            frame.to_csv(tmp, index=False)
        tmp.replace(target)
        written.append(target)
    return written

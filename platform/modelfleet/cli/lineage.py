"""`modelfleet lineage` and `modelfleet reproduce`: which data, code, spec and run made a model version, and rebuild it.

Both read the registry at MLFLOW_TRACKING_URI, else the embedded platform's
MLflow server; the trace's spans are counted from the embedded platform's
local trace store when it has them.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape

from modelfleet.lineage.record import LineageError, ModelRef, chain_lines, load_lineage
from modelfleet.runtime.config import EmbeddedConfig


def _client() -> Any:
    from modelfleet.hooks.mlflow_registry import MlflowRegistryHook

    config = EmbeddedConfig.from_env()
    return MlflowRegistryHook(tracking_uri=os.environ.get("MLFLOW_TRACKING_URI") or config.mlflow_url).client


def _local_span_count(trace_id: str | None) -> int | None:
    if not trace_id:
        return None
    from modelfleet.lineage.otlp_receiver import spans_of_trace

    store = EmbeddedConfig.from_env().spans_file
    return len(spans_of_trace(store, trace_id)) if store.exists() else None


def show(console: Console, reference: str, as_json: bool = False) -> int:
    try:
        lineage = load_lineage(_client(), ModelRef.parse(reference))
    except LineageError as exc:
        console.print(f"[red]{escape(str(exc))}[/red]")
        return 1
    if as_json:
        console.print_json(json.dumps(lineage.as_dict()))
        return 0
    trace_id = lineage.as_dict()["trace_id"]
    for line in chain_lines(lineage, _local_span_count(trace_id), EmbeddedConfig.from_env().api_url):
        console.print(escape(line), soft_wrap=True)
    return 0


def reproduce(console: Console, reference: str, workdir: Path | None, tolerance: float, allow_dirty: bool) -> int:
    from modelfleet.lineage.reproduce import ReproductionError, reproduce as rebuild

    ref = ModelRef.parse(reference)
    try:
        lineage = load_lineage(_client(), ref)
        console.print(f"reproducing {ref} (version {lineage.version}, run {lineage.run_id}) from its lineage")
        done = rebuild(lineage, workdir, tolerance, allow_dirty)
    except (LineageError, ReproductionError) as exc:
        console.print(f"[red]{escape(str(exc))}[/red]")
        return 1
    console.print(f"  data       training set md5 {done.data_md5} fetched from {lineage.snapshot('lineage.data.training_set')['remote']}")
    console.print(f"  code       revision {done.revision} checked out in {done.workdir / 'src'} (ran {done.code})")
    console.print(f"  original   holdout {done.metric_name} {done.original:.12f}")
    console.print(f"  reproduced holdout {done.metric_name} {done.reproduced:.12f}")
    verdict = "[green]reproduced[/green]" if done.matches else "[red]NOT reproduced[/red]"
    console.print(f"  {verdict}: |difference| {done.difference:.3g} (tolerance {done.tolerance:g}); scratch folder {done.workdir}")
    return 0 if done.matches else 1

"""Spec model helpers that are not validation: templating of data paths."""

from __future__ import annotations

from modelfleet.specs.model import AIRFLOW_DS, render_ds


def test_render_ds_fills_every_placeholder_and_keeps_the_rest() -> None:
    assert render_ds("s3://bucket/team/{ds}/part-{ds}.parquet", "2026-11-20") == "s3://bucket/team/2026-11-20/part-2026-11-20.parquet"
    assert render_ds("events/{ds}.csv", AIRFLOW_DS) == "events/{{ ds }}.csv"
    assert render_ds("static/reference.parquet", "2026-11-20") == "static/reference.parquet"

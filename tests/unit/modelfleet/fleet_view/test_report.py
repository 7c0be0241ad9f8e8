"""`modelfleet report`: the same view as the Fleet page, as HTML with SVG plots that say what they show."""

from __future__ import annotations

import re
from pathlib import Path
from xml.etree import ElementTree

from support.small_fleet import NOW, SmallFleet

from modelfleet.fleet_view.report import write_report


def test_the_report_has_every_team_the_failed_run_and_plots_of_trends_durations_and_gpus(small_fleet: SmallFleet, tmp_path: Path) -> None:
    from airflow.utils.session import create_session

    out = tmp_path / "report"
    out.mkdir()
    (out / "trend_gone.svg").write_text("<svg/>")  # a plot of an earlier report that this one does not draw
    with create_session() as session:
        report = write_report(session, out, base_url="http://airflow.example", mlflow_url=small_fleet.mlflow_url, now=NOW)
    page = report.index.read_text()
    for tenant in ("payments", "lending", "retention", "supplychain"):
        assert f"id='tenant-{tenant}'" in page
    assert "<td>fv_fraud</td><td><span class=\"s-failed\">failed</span>" in page
    assert "payments__fv_fraud v2 auc 0.9100" in page
    names = sorted(p.name for p in report.plots)
    assert "trend_payments.svg" in names and "durations.svg" in names and "gpu_timeline.svg" in names
    assert not (out / "trend_gone.svg").exists()
    for plot in report.plots:
        assert f"src='{plot.name}'" in page
        svg = ElementTree.parse(plot).getroot()  # a well-formed SVG document
        assert svg.tag.endswith("svg")
    trend = (out / "trend_payments.svg").read_text()
    assert "payments__fv_fraud (auc)" in trend  # the legend names the model and its metric
    # a row per team with its runs counted (the session's database holds other tests' runs too: at least fv_fraud's 4)
    counted = re.search(r"payments \((\d+) runs\)", (out / "durations.svg").read_text())
    assert counted and int(counted.group(1)) >= 4


def test_mlflow_down_the_report_is_still_written_and_says_what_is_missing(small_fleet: SmallFleet, tmp_path: Path) -> None:
    from airflow.utils.session import create_session
    from support.gpu_fleet import free_port

    with create_session() as session:
        report = write_report(session, tmp_path, base_url="http://airflow.example", mlflow_url=f"http://127.0.0.1:{free_port()}", now=NOW)
    page = report.index.read_text()
    assert "Not shown: MLflow (http://127.0.0.1:" in page and "MLflow not read" in page
    assert "trend_payments.svg" not in {p.name for p in report.plots}

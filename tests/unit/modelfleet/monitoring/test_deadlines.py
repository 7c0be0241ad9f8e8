"""Deadline Alerts: the spec's deadline (team default, model override) on every pipeline DAG, and the callback's record and alert."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from pathlib import Path

import pytest
import yaml
from support.alert_receivers import HttpAlertReceiver

from modelfleet.monitoring import store
from modelfleet.monitoring.deadlines import CALLBACK_PATH, deadline_missed

from ..conftest import MODEL, TENANT, write_tenant


def fleet_dags(base: Path) -> dict:
    from modelfleet.dag_factory import build_fleet_dags

    return build_fleet_dags(base)


def test_default_deadline_is_two_hours_after_queued_and_a_model_overrides_its_team(tmp_path: Path, fleet_dir: Path, data_root: Path,
                                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    from airflow.sdk import AsyncCallback, DeadlineReference

    from modelfleet.specs.loader import load_fleet

    monkeypatch.setenv("MODELFLEET_DATA_ROOT", str(data_root))
    base = tmp_path / "teams"
    tenant = {**TENANT, "monitoring": {"deadline": "3h", "drift": {"ks_pvalue": 0.05}}}
    write_tenant(base, tenant, {"fraud": MODEL, "churn": {**MODEL, "name": "churn", "monitoring": {"deadline": "30m", "drift": {"psi_threshold": 0.3}}}})
    write_tenant(base, {**TENANT, "id": "globex", "alerts": {}, "data_root": "globex"},
                 {"fraud": {**MODEL, "features": {**MODEL["features"], "views": ["globex__tx"]},
                            "data": {**MODEL["data"], "generator": "globex.datagen:tx"}}})
    fleet = load_fleet(base, data_root)
    assert not fleet.all_problems, fleet.all_problems
    effective = {p.dag_id: p.model.monitoring_under(p.tenant) for p in fleet.pipelines}
    assert effective["acme__fraud"].deadline == timedelta(hours=3)
    assert (effective["acme__churn"].deadline, effective["acme__churn"].drift.psi_threshold, effective["acme__churn"].drift.ks_pvalue) == (
        timedelta(minutes=30), 0.3, 0.05)  # its own keys, the team's others
    assert effective["globex__fraud"].deadline == timedelta(hours=2) and effective["globex__fraud"].drift.psi_threshold == 0.2

    from modelfleet.dag_factory.pipeline import build_pipeline_dag

    for pipeline in fleet.pipelines:
        [alert] = build_pipeline_dag(pipeline).deadline
        assert alert.reference == DeadlineReference.DAGRUN_QUEUED_AT
        assert alert.interval == effective[pipeline.dag_id].deadline
        assert isinstance(alert.callback, AsyncCallback) and alert.callback.path == CALLBACK_PATH
        assert alert.callback.kwargs == {"tenant_id": pipeline.tenant.id, "dag_id": pipeline.dag_id,
                                         "interval_seconds": effective[pipeline.dag_id].deadline.total_seconds()}


@pytest.mark.parametrize(("block", "field", "fix"), [
    pytest.param({"deadline": "soon"}, "monitoring.deadline", "30m, 6h or 2d", id="not-a-duration"),
    pytest.param({"deadline": "0m"}, "monitoring.deadline", "above zero", id="zero"),
    pytest.param({"drift": {"ks_pvalue": 1.5}}, "monitoring.drift.ks_pvalue", "", id="p-value-above-one"),
    pytest.param({"drift": {"psi": 0.2}}, "monitoring.drift.psi", "psi_threshold", id="unknown-key"),
])
def test_a_bad_monitoring_block_names_file_field_and_fix(tmp_path: Path, data_root: Path, block: dict, field: str, fix: str) -> None:
    from modelfleet.specs.loader import load_fleet

    base = tmp_path / "teams"
    write_tenant(base, {**TENANT, "monitoring": block}, {"fraud": MODEL})
    problems = [str(p) for p in load_fleet(base, data_root).problems]
    assert any(p.startswith(f"teams/acme/tenant.yaml: {field}") and fix in p and "fix:" in p for p in problems), problems


def test_the_callback_records_a_miss_once_and_alerts_the_team_on_its_slack_route(
    tenant_home, monkeypatch: pytest.MonkeyPatch
) -> None:
    receiver = HttpAlertReceiver()
    receiver.start()
    monkeypatch.setenv("AIRFLOW_CONN_PAYMENTS_SLACK", json.dumps({"conn_type": "slackwebhook", "password": f"{receiver.url}/services/T/B/x"}))
    context = {"dag_run": {"dag_run_id": "manual__1", "state": "running", "queued_at": "2026-11-20T00:00:00Z"},
               "deadline": {"id": "d-1", "deadline_time": "2026-11-20T02:00:00Z"}}
    try:
        first = asyncio.run(deadline_missed("payments", "payments__card_fraud", 7200.0, context=context))
        again = asyncio.run(deadline_missed("payments", "payments__card_fraud", 7200.0, context=context))
    finally:
        receiver.stop()
    assert (first, again) == ("alerted", "recorded")
    [body] = receiver.slack()
    assert body["text"].startswith("[payments] deadline missed: payments__card_fraud run manual__1 is running, not finished 2:00:00")
    [miss] = store.misses_since(0.0)
    assert (miss.deadline_id, miss.run_id, miss.run_state, miss.alerted) == ("d-1", "manual__1", "running", True)


def test_a_team_without_a_slack_route_still_gets_the_miss_recorded(tenant_home) -> None:
    path = tenant_home.tenants / "payments" / "tenant.yaml"
    spec = yaml.safe_load(path.read_text())
    spec["alerts"].pop("slack_conn_id")
    path.write_text(yaml.safe_dump(spec))
    assert asyncio.run(deadline_missed("payments", "payments__card_fraud", 60.0, context={"deadline": {"id": "d-2"}})) == "recorded"
    [miss] = store.misses_since(0.0)
    assert (miss.deadline_id, miss.alerted) == ("d-2", False)

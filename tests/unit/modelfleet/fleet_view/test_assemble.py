"""The Fleet page's views (modelfleet.fleet_view.assemble) from a real Airflow database, MLflow server and platform tables."""

from __future__ import annotations

from datetime import datetime

import pytest
from support.small_fleet import DAGS, HELD_RUN, NOW, TRACE, SmallFleet

from modelfleet.fleet_view.assemble import OTHER_TEAM, fleet_view, gpu_view

BASE = "http://airflow.example:8080"
MINE = set(DAGS)
"""The session's Airflow database is shared with other tests: look at this module's DAGs only."""


def view(fleet: SmallFleet, allowed: set[str] = MINE, mlflow_url: str | None = None):
    from airflow.utils.session import create_session

    with create_session() as session:
        return fleet_view(session, base_url=BASE, mlflow_url=mlflow_url or fleet.mlflow_url, allowed=allowed,
                          trace_url=lambda t: f"{BASE}/fleet/api/traces/{t}", now=NOW)


def pipeline(result, dag_id: str):
    return next(p for t in result.tenants for p in t.pipelines if p.dag_id == dag_id)


def test_every_team_with_its_pipelines_and_nothing_else(small_fleet: SmallFleet) -> None:
    result = view(small_fleet)
    assert result.missing == []
    assert {t.id: [p.dag_id for p in t.pipelines] for t in result.tenants} == {
        "lending": ["lending__fv_default"], "payments": ["payments__fv_fraud"],
        "retention": ["retention__fv_broken"], "supplychain": ["supplychain__fv_idle"]}
    supplychain = next(t for t in result.tenants if t.id == "supplychain")
    assert (supplychain.runs_7d, supplychain.pipelines[0].last_run) == (0, None)  # a team with no runs yet: shown, no error
    assert pipeline(result, "retention__fv_broken").broken


def test_a_failed_pipeline_shows_its_failed_run_success_rate_champion_trend_drift_and_dead_letter(small_fleet: SmallFleet) -> None:
    card = pipeline(view(small_fleet), "payments__fv_fraud")
    assert card.last_run.state == "failed" and card.last_run.run_id == "broke"
    assert card.last_run.url == f"{BASE}/dags/payments__fv_fraud/runs/broke"
    assert card.last_run.duration_s == pytest.approx(12 * 60)
    assert (card.success_7d.succeeded, card.success_7d.failed, card.success_7d.rate) == (3, 1, 0.75)
    (champion,) = card.champions
    assert (champion.version, champion.metric, champion.value) == ("2", "auc", 0.91)
    assert [(p.version, p.logical_date, p.value) for p in champion.trend] == [("1", "2026-11-24", 0.88), ("2", "2026-11-25", 0.91)]
    assert champion.url == f"{small_fleet.mlflow_url}/#/models/payments__fv_fraud/versions/2"
    assert (champion.trace_id, champion.trace_url) == (TRACE, f"{BASE}/fleet/api/traces/{TRACE}")
    assert (card.drift.status, card.drift.columns, card.drift.data_date) == ("drifted", ["amount"], "2026-11-26")
    assert card.dead_letters >= 1
    payments = next(t for t in view(small_fleet).tenants if t.id == "payments")
    assert (payments.runs_7d, payments.failed_7d) == (4, 1)


def test_a_run_outside_seven_days_does_not_count_and_a_model_without_champion_says_so(small_fleet: SmallFleet) -> None:
    lending = pipeline(view(small_fleet), "lending__fv_default")
    assert lending.last_run.state == "running" and lending.last_run.end is None
    assert (lending.success_7d.succeeded, lending.success_7d.failed, lending.success_7d.rate) == (0, 0, None)
    (champion,) = lending.champions
    assert (champion.version, champion.trend, champion.url) == (None, [], None)
    assert lending.drift.status == "unchecked"


def test_a_user_sees_only_the_teams_whose_dags_they_may_read(small_fleet: SmallFleet, lease: object) -> None:
    result = view(small_fleet, allowed={"lending__fv_default"})
    assert [t.id for t in result.tenants] == ["lending"]
    gpus = _gpus(allowed={"lending__fv_default"})
    held = [d for d in gpus.devices if d.lease is not None and d.lease.tenant == OTHER_TEAM]
    assert held and all(d.lease.dag_id == "" for d in held)  # busy, but whose is not shown
    assert "payments" not in {t.tenant for t in gpus.tenants}
    assert all(i.dag_id != "payments__fv_fraud" for i in gpus.timeline)


def test_mlflow_unreachable_the_runs_are_still_shown_and_what_is_missing_is_said(small_fleet: SmallFleet) -> None:
    from support.gpu_fleet import free_port

    result = view(small_fleet, mlflow_url=f"http://127.0.0.1:{free_port()}")
    assert len(result.missing) == 1 and result.missing[0].startswith("MLflow (http://127.0.0.1:")
    card = pipeline(result, "payments__fv_fraud")
    assert card.champions is None and card.last_run.state == "failed" and card.success_7d.rate == 0.75


def _gpus(allowed: set[str] | None = None):
    from airflow.utils.session import create_session

    with create_session() as session:
        return gpu_view(session, allowed=allowed, now=datetime.now(NOW.tzinfo))


def test_the_gpu_view_shows_the_live_lease_on_its_device_the_team_pools_and_the_timeline(small_fleet: SmallFleet, lease: object) -> None:
    from modelfleet.scheduling.capacity import load_capacity

    gpus = _gpus()
    assert gpus.missing == []
    assert [(d.gpu_class, d.host, d.device) for d in gpus.devices] == [(d.gpu_class, d.host, d.index) for d in load_capacity().devices()]
    held = [d for d in gpus.devices if d.lease is not None and d.lease.run_id == HELD_RUN]
    assert len(held) == 1 and held[0].gpu_class == "a10g"
    assert (held[0].lease.tenant, held[0].lease.task_id) == ("payments", "train_mlp_challenger")
    mine = [i for i in gpus.timeline if i.dag_id == "payments__fv_fraud"]
    ended = [i for i in mine if i.end is not None]
    assert len(mine) >= 2 and ended and any(i.end is None and i.task_id == "train_mlp_challenger" for i in mine)
    payments = next(t for t in gpus.tenants if t.tenant == "payments" and t.gpu_class == "a10g")
    assert payments.pool_slots == 1 and payments.guarantee >= 1

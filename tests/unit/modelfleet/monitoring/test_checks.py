"""The checks on hand-made rows (times relative to a fixed `now`), and alert routing: once, a reminder later, one resolve."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import pytest
from support.alert_receivers import HttpAlertReceiver

from modelfleet.monitoring import checks, store
from modelfleet.monitoring.health import assess, route_findings
from modelfleet.monitoring.records import PoolRow, RunRow, Snapshot, TaskRow

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=timezone.utc)


def runs(dag_id: str, ok: int, bad: int, ago: timedelta) -> list[RunRow]:
    return [RunRow(dag_id, "success", NOW - ago) for _ in range(ok)] + [RunRow(dag_id, "failed", NOW - ago) for _ in range(bad)]


def test_success_rates_per_team_and_pipeline_over_each_window_and_below_target_is_a_finding() -> None:
    snapshot = Snapshot(NOW, runs=[
        *runs("payments__card_fraud", 199, 1, timedelta(hours=2)),     # 99.5%: on target
        *runs("payments__merchant_risk", 9, 1, timedelta(hours=3)),    # 90%
        *runs("lending__default", 5, 1, timedelta(days=3)),            # only in the 7-day window
        *runs("modelfleet_monitoring", 0, 5, timedelta(hours=1)),      # platform DAG: no team's rate
    ])
    rates = {(r.scope, r.name, r.window): (r.succeeded, r.failed) for r in checks.success_rates(snapshot)}
    assert rates[("tenant", "payments", "1d")] == (208, 2) == rates[("tenant", "payments", "7d")]
    assert rates[("pipeline", "payments__card_fraud", "1d")] == (199, 1)
    assert ("tenant", "lending", "1d") not in rates and rates[("tenant", "lending", "7d")] == (5, 1)
    assert not any(name == "modelfleet_monitoring" for _, name, _ in rates)
    below = {f.subject for f in checks.rate_findings(checks.success_rates(snapshot))}
    assert below == {"tenant:payments:1d", "tenant:payments:7d", "pipeline:payments__merchant_risk:1d",
                     "pipeline:payments__merchant_risk:7d", "tenant:lending:7d", "pipeline:lending__default:7d"}


def test_stuck_tasks_pools_and_dead_letter_growth() -> None:
    def queued(task: str, minutes: int) -> TaskRow:
        return TaskRow("payments__card_fraud", task, "r1", -1, "queued", NOW - timedelta(minutes=minutes), 1)

    snapshot = Snapshot(NOW, queued=[queued("train", 11), queued("evaluate", 2)], pools=[
        PoolRow("payments__gpu_a10g", 1, 1, 2),         # full, work waiting
        PoolRow("lending__gpu_a10g", 2, 2, 0),          # full, nothing waiting
        PoolRow("payments__gpu_a100_x2", 4, 2, 3),      # room left
        PoolRow("default_pool", 128, 128, 9),           # not a GPU pool
    ])
    assert [f.subject for f in checks.stuck_findings(snapshot)] == ["payments__card_fraud.train:r1"]
    assert [(f.tenant, f.subject) for f in checks.pool_findings(snapshot)] == [("payments", "payments__gpu_a10g")]
    hour = 3600.0
    letters = [SimpleNamespace(tenant="payments", failed_at=NOW.timestamp() - m * 60) for m in (5, 20, 50)]
    letters += [SimpleNamespace(tenant="lending", failed_at=NOW.timestamp() - 2 * hour) for _ in range(5)]
    [growth] = checks.dead_letter_findings(letters, NOW.timestamp())
    assert (growth.tenant, growth.message) == ("payments", "payments: 3 new dead letter(s) in the last hour, 3 open")
    health = assess(snapshot, [], letters, [])
    assert health.open_dead_letters == {"payments": 3, "lending": 5}
    assert assess(snapshot, [], None, []).open_dead_letters is None


def test_a_finding_alerts_once_reminds_after_the_repeat_interval_and_resolves_once(tenant_home, monkeypatch: pytest.MonkeyPatch) -> None:
    receiver = HttpAlertReceiver()
    receiver.start()
    monkeypatch.setenv("AIRFLOW_CONN_PAYMENTS_SLACK", json.dumps({"conn_type": "slackwebhook", "password": f"{receiver.url}/services/T/B/x"}))
    finding = checks.Finding("pool_saturated", "payments", "payments__gpu_a10g", "GPU pool payments__gpu_a10g is full")
    platform_finding = checks.Finding("stuck_queued", None, "modelfleet_monitoring.check_fleet:r", "queued for 12 min")
    t = NOW.timestamp()
    try:
        counts = [route_findings([finding, platform_finding], now=t), route_findings([finding], now=t + 60),
                  route_findings([finding], now=t + store.REPEAT_AFTER + 1), route_findings([], now=t + store.REPEAT_AFTER + 60)]
    finally:
        receiver.stop()
    assert [(c["sent"], c["resolved"]) for c in counts] == [(2, 0), (0, 1), (1, 0), (0, 1)]
    texts = [b["text"] for b in receiver.slack()]
    assert len(texts) == 3 and texts[0] == texts[1] and texts[0].startswith("[payments] pool_saturated: GPU pool payments__gpu_a10g is full")
    assert texts[2] == "[payments] resolved: GPU pool payments__gpu_a10g is full"

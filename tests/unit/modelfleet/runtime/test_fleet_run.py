"""`modelfleet run`'s conversation with the REST API: which calls it makes, in which order.

The API here is a recording stand-in; the real server is exercised in tests/e2e.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from modelfleet.runtime.fleet_run import collect, run_id_for, start_runs

DAY = date(2026, 11, 20)
RUN_ID = run_id_for(DAY)


class RecordingApi:
    def __init__(self, runs: dict[str, str], paused: dict[str, bool], tis: list[dict[str, Any]] | None = None) -> None:
        self.runs, self.paused, self.tis = runs, paused, tis or []
        self.calls: list[tuple[str, ...]] = []

    def runs_with_id(self, run_id: str) -> list[dict[str, Any]]:
        self.calls.append(("list runs", run_id))
        return [{"dag_id": d, "dag_run_id": run_id, "state": s, "start_date": None, "end_date": None} for d, s in self.runs.items()]

    def task_instances(self, run_id: str) -> list[dict[str, Any]]:
        self.calls.append(("list tis", run_id))
        return self.tis

    def paused_by_dag(self) -> dict[str, bool]:
        self.calls.append(("list dags",))
        return dict(self.paused)

    def trigger(self, dag_id: str, run_id: str, logical_date: str, conf: dict | None = None) -> None:
        self.calls.append(("trigger", dag_id))
        self.runs[dag_id] = "queued"

    def clear_failed(self, dag_id: str, run_id: str) -> None:
        self.calls.append(("clear", dag_id))

    def set_paused(self, dag_id: str, paused: bool) -> None:
        self.calls.append(("unpause" if not paused else "pause", dag_id))
        self.paused[dag_id] = paused


def test_start_runs_triggers_new_replays_failed_and_leaves_the_rest() -> None:
    api = RecordingApi(runs={"t__failed": "failed", "t__done": "success"}, paused={"t__new": False, "t__failed": False, "t__done": False})
    actions = start_runs(api, ["t__new", "t__failed", "t__done"], DAY)
    assert actions == {"t__new": "triggered", "t__failed": "replaying failed tasks", "t__done": "already success"}
    assert ("trigger", "t__new") in api.calls and ("clear", "t__failed") in api.calls
    assert not any(c[0] in ("trigger", "clear") and c[1] == "t__done" for c in api.calls)


def test_start_runs_unpauses_only_paused_dags_and_only_after_every_trigger() -> None:
    api = RecordingApi(runs={}, paused={"t__a": True, "t__b": False, "t__c": True})
    start_runs(api, ["t__a", "t__b", "t__c"], DAY)
    unpaused = [c[1] for c in api.calls if c[0] == "unpause"]
    assert unpaused == ["t__a", "t__c"]
    last_trigger = max(i for i, c in enumerate(api.calls) if c[0] == "trigger")
    first_unpause = min(i for i, c in enumerate(api.calls) if c[0] == "unpause")
    assert last_trigger < first_unpause


def test_collect_reads_the_fleet_in_two_listings_and_names_the_failed_tasks() -> None:
    tis = [
        {"dag_id": "t__a", "task_id": "train", "state": "failed"},
        {"dag_id": "t__a", "task_id": "register", "state": "upstream_failed"},
        {"dag_id": "t__b", "task_id": "train", "state": "success"},
        {"dag_id": "other__x", "task_id": "train", "state": "running"},  # not asked for: not counted
    ]
    api = RecordingApi(runs={"t__a": "failed", "t__b": "success", "other__x": "running"}, paused={}, tis=tis)
    results, counts = collect(api, ["t__a", "t__b", "t__missing"], DAY)
    assert [(r.dag_id, r.state, r.failed_tasks) for r in results] == [
        ("t__a", "failed", ["train"]), ("t__b", "success", []), ("t__missing", "missing", [])]
    assert counts == {"failed": 1, "upstream_failed": 1, "success": 1}
    assert sorted(c[0] for c in api.calls) == ["list runs", "list tis"]


def test_model_outcomes_read_each_succeeded_pipelines_summary() -> None:
    from modelfleet.runtime.fleet_run import PipelineResult, model_outcomes

    class XComApi:
        def __init__(self) -> None:
            self.asked: list[tuple[str, str, str]] = []

        def xcom(self, dag_id: str, run_id: str, task_id: str) -> dict | None:
            self.asked.append((dag_id, run_id, task_id))
            return {"models": {f"{dag_id}": {"outcome": "deployed"}}}

    api = XComApi()
    results = [PipelineResult("t__ok", "t", "success"), PipelineResult("t__bad", "t", "failed"),
               PipelineResult("t__features", "t", "success"), PipelineResult("t__ok__scoring", "t", "success")]
    assert model_outcomes(api, results, DAY) == {"t__ok": {"t__ok": {"outcome": "deployed"}}}
    assert api.asked == [("t__ok", RUN_ID, "summarize")]


def test_summary_names_models_that_did_not_deploy_and_no_champion_is_not_green() -> None:
    import io

    from rich.console import Console

    from modelfleet.cli.lifecycle import summarise
    from modelfleet.runtime.config import EmbeddedConfig
    from modelfleet.runtime.fleet_run import PipelineResult, RegistryCounts

    results = [PipelineResult("t__fresh", "t", "success"), PipelineResult("t__stale", "t", "success")]
    outcomes = {
        "t__fresh": {"t__fresh": {"outcome": "deployed", "why": "champion is v1: first model"}},
        "t__stale": {"t__stale": {"outcome": "no champion", "why": "reduced path: data quality 0.975 below the full threshold, nothing deployed"}},
    }
    out = io.StringIO()
    console = Console(file=out, width=250, color_system=None)
    code = summarise(console, results, 0, 12.0, EmbeddedConfig.from_env(), outcomes, {"t": RegistryCounts(2, 2, 1)})
    text = out.getvalue()
    assert code == 1
    assert "2 of 2 pipelines succeeded" in text
    assert "models: 1 deployed, 0 kept champion, 0 reduced path, 1 no champion" in text
    assert "t__stale" in text.split("models this run did not deploy")[1]
    assert "reduced path: data quality 0.975 below the full threshold" in text
    assert "1 model(s) have no champion" in text

    outcomes["t__stale"]["t__stale"] = {"outcome": "reduced path", "why": "reduced path: ...; champion stays v3"}
    out.truncate(0)
    assert summarise(console, results, 0, 12.0, EmbeddedConfig.from_env(), outcomes, {}) == 0
    assert "1 reduced path" in out.getvalue()

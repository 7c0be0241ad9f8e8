"""DeadLetterNotifier and the queue behind it, on a real SQLite database: one open entry per failed task instance, never raising."""

from __future__ import annotations

from datetime import datetime, timezone
from types import SimpleNamespace

import pytest
from airflow.sdk.exceptions import AirflowFailException

from modelfleet import dead_letters
from modelfleet.notifiers.dead_letter import DeadLetterNotifier
from modelfleet.operators.deploy import SmokeTestFailed


@pytest.fixture
def db(tmp_path, monkeypatch):
    monkeypatch.setenv("MODELFLEET_DB_URL", f"sqlite:///{tmp_path / 'modelfleet.db'}")


def context(exc: BaseException | None, try_number: int = 1) -> dict:
    ti = SimpleNamespace(dag_id="payments__card_fraud", task_id="deploy", run_id="modelfleet__2026-11-20",
                         map_index=-1, try_number=try_number)
    return {"ti": ti, "exception": exc, "logical_date": datetime(2026, 11, 20, tzinfo=timezone.utc), "ds": "2026-11-20"}


def permanent() -> AirflowFailException:
    try:
        raise AirflowFailException("permanent failure, not retried") from SmokeTestFailed("nan")
    except AirflowFailException as exc:
        return exc


def test_a_failure_is_recorded_once_with_its_class(db):
    notifier = DeadLetterNotifier(tenant_id="payments")
    notifier(context(permanent()))
    notifier(context(permanent()))  # the same try reported twice (task runner and scheduler): one entry
    [entry] = dead_letters.entries()
    assert (entry.tenant, entry.task_id, entry.try_number, entry.error_class, entry.error_type, entry.state) == (
        "payments", "deploy", 1, "permanent", "SmokeTestFailed", "open")
    assert entry.logical_date == "2026-11-20T00:00:00+00:00" and entry.message.startswith("AirflowFailException: ")


def test_a_later_try_of_the_same_task_instance_updates_its_open_entry(db):
    """The scheduler died while try 1 reported its failure: Airflow ran the task again and it failed again. One
    entry, at the later try (one replay covers both); an older try reported late changes nothing."""
    notifier = DeadLetterNotifier(tenant_id="payments")
    notifier(context(permanent()))
    notifier(context(ConnectionRefusedError(111, "refused"), try_number=5))  # retries exhausted
    notifier(context(permanent(), try_number=2))  # late
    [entry] = dead_letters.entries()
    assert (entry.try_number, entry.error_class, entry.error_type, entry.state) == (5, "transient", "ConnectionRefusedError", "open")


def test_a_failure_after_its_entry_was_replayed_is_a_new_entry(db):
    notifier = DeadLetterNotifier(tenant_id="payments")
    notifier(context(permanent()))
    [first] = dead_letters.entries()
    dead_letters.set_state([first.id], dead_letters.REPLAYED)
    notifier(context(permanent(), try_number=2))  # the replay failed again
    assert [(e.try_number, e.state) for e in dead_letters.entries()] == [(1, "replayed"), (2, "open")]


def test_a_failure_without_exception_is_recorded_and_says_so(db):
    DeadLetterNotifier(tenant_id="payments")(context(None))
    [entry] = dead_letters.entries()
    assert entry.error_class == "transient" and "task process died" in entry.message


def test_the_notifier_never_raises_into_the_task(tmp_path, monkeypatch, caplog):
    (tmp_path / "not-a-dir").write_text("")
    monkeypatch.setenv("MODELFLEET_DB_URL", f"sqlite:///{tmp_path / 'not-a-dir' / 'db.sqlite'}")
    DeadLetterNotifier(tenant_id="payments")(context(permanent()))
    assert "dead-letter entry NOT recorded" in caplog.text


def test_states_move_from_open_to_replayed_or_discarded(db):
    ids = [dead_letters.record(dead_letters.Failure("t", "t__m", "train", f"r{i}", 1)) for i in range(3)]
    assert dead_letters.set_state(ids[:1], dead_letters.REPLAYED, "cleared") == 1
    assert dead_letters.set_state(ids[1:2], dead_letters.DISCARDED, "known bad day") == 1
    assert [e.state for e in dead_letters.entries()] == ["replayed", "discarded", "open"]
    assert [e.id for e in dead_letters.entries(state="open")] == ids[2:]
    with pytest.raises(ValueError):
        dead_letters.set_state(ids, "lost")

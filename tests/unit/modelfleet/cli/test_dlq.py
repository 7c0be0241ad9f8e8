"""`modelfleet dlq list|show|discard` over a real queue (replay needs Airflow: tests/e2e/test_embedded_platform.py)."""

from __future__ import annotations

import pytest

from modelfleet import dead_letters
from modelfleet.cli.main import main


@pytest.fixture
def queue(tmp_path, monkeypatch):
    monkeypatch.setenv("MODELFLEET_DB_URL", f"sqlite:///{tmp_path / 'modelfleet.db'}")
    monkeypatch.setenv("COLUMNS", "250")
    return [dead_letters.record(dead_letters.Failure(
        "lending", "lending__application_default", task, "modelfleet__2026-11-20", 1, logical_date="2026-11-20T00:00:00+00:00",
        error_class=cls, error_type=kind, message=f"{kind}: it broke\nsecond line")) for task, cls, kind in (
        ("validate_data", "permanent", "AirflowFailException"), ("train", "transient", "RegistryUnavailable"))]


def test_list_shows_open_entries_and_discard_closes_them(queue, capsys):
    assert main(["dlq", "list"]) == 0
    out = capsys.readouterr().out
    assert "2 open entries" in out and "validate_data" in out and "RegistryUnavailable" in out
    assert "second line" not in out
    assert main(["dlq", "discard", str(queue[0]), "--reason", "known bad export"]) == 0
    assert main(["dlq", "list"]) == 0
    out = capsys.readouterr().out
    assert "1 open entry" in out and "validate_data" not in out
    assert dead_letters.get(queue[0]).note == "known bad export"


def test_show_prints_everything_on_call_needs(queue, capsys):
    assert main(["dlq", "show", str(queue[1])]) == 0
    out = capsys.readouterr().out
    for expected in ("lending__application_default", "train", "modelfleet__2026-11-20", "transient (decided by RegistryUnavailable)",
                     "second line", "attempt=1.log", f"modelfleet dlq replay {queue[1]}"):
        assert expected in out
    assert main(["dlq", "show", "999"]) == 1


def test_replay_refuses_a_discarded_entry_before_calling_airflow(queue, capsys):
    dead_letters.set_state([queue[0]], dead_letters.DISCARDED, "no")
    assert main(["dlq", "replay", str(queue[0])]) == 1
    assert "refused" in capsys.readouterr().out and dead_letters.get(queue[0]).state == "discarded"

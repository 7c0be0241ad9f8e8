"""The API server's copy of MLflow's answer: read once, served while fresh, refreshed behind the requests."""

from __future__ import annotations

import threading

import pytest

from modelfleet.fleet_view.registry import CachedModels, ModelRow, RegistryUnavailable


class Reader:
    """Answers with a new generation on every read; `gate` holds a read until the test lets it finish."""

    def __init__(self) -> None:
        self.reads = 0
        self.gate = threading.Event()
        self.gate.set()
        self.fail = False

    def __call__(self, url: str) -> dict[str, ModelRow]:
        self.gate.wait(10)
        self.reads += 1
        if self.fail:
            raise RegistryUnavailable(f"{url}: ConnectError")
        return {"m": ModelRow("m", "team__m", str(self.reads))}


def test_a_fresh_answer_is_served_without_reading_again() -> None:
    reader = Reader()
    cache = CachedModels(max_age=3600, read=reader)
    first = cache("http://mlflow")
    assert cache("http://mlflow") is first and reader.reads == 1


def test_a_stale_answer_is_served_at_once_while_one_read_replaces_it() -> None:
    reader = Reader()
    cache = CachedModels(max_age=0.0, read=reader)
    assert cache("http://mlflow")["m"].champion == "1"
    reader.gate.clear()  # the refresh waits: requests meanwhile must not
    assert cache("http://mlflow")["m"].champion == "1"
    assert cache("http://mlflow")["m"].champion == "1"  # one refresh under way, not one per request
    reader.gate.set()
    for thread in [t for t in threading.enumerate() if t.name == "fleet-registry-refresh"]:
        thread.join(10)
    assert reader.reads == 2
    assert cache("http://mlflow")["m"].champion == "2"


def test_an_unreachable_registry_is_reported_from_the_copy_until_it_is_read_again() -> None:
    reader = Reader()
    reader.fail = True
    cache = CachedModels(max_age=3600, read=reader)
    for _ in range(3):
        with pytest.raises(RegistryUnavailable, match="ConnectError"):
            cache("http://mlflow")
    assert reader.reads == 1

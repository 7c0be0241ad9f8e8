"""ModelSlots: a version serves live only after a switch; the previous one stays loaded for rollback; old ones go."""

from __future__ import annotations

import pytest

from modelfleet.serving.slots import KEEP_VERSIONS, ModelSlots, UnknownVersion


def slots() -> tuple[ModelSlots, list[tuple[str, str]]]:
    loads: list[tuple[str, str]] = []

    def load(name: str, version: str) -> str:
        loads.append((name, version))
        return f"{name}-v{version}"

    return ModelSlots(load), loads


def test_a_staged_version_is_not_live_until_switched():
    s, loads = slots()
    s.stage("m", "1")
    assert s.get("m") is None and s.get("m", "1").model == "m-v1"
    assert s.switch("m", "1") is None
    assert s.get("m").version == "1"
    s.stage("m", "2")
    assert s.get("m").version == "1"  # staging never changes what answers
    assert s.switch("m", "2") == "1"
    assert s.get("m").version == "2" and s.slot("m").previous == "1"
    s.stage("m", "2")
    assert loads == [("m", "1"), ("m", "2")]  # staging twice loads once


def test_switching_to_a_version_never_staged_is_refused_and_changes_nothing():
    s, _ = slots()
    s.stage("m", "1")
    s.switch("m", "1")
    with pytest.raises(UnknownVersion, match="m v7 is not loaded"):
        s.switch("m", "7")
    assert s.get("m").version == "1"


def test_rollback_is_a_switch_to_the_kept_previous_version_and_old_versions_are_dropped():
    s, loads = slots()
    for version in ("1", "2", "3", "4", "5"):
        s.stage("m", version)
        s.switch("m", version)
    assert s.slot("m").previous == "4"
    assert s.switch("m", "4") == "5"  # rollback: no load
    assert loads.count(("m", "4")) == 1
    assert len(s.slot("m").versions) <= KEEP_VERSIONS and {"4", "5"} <= set(s.slot("m").versions)

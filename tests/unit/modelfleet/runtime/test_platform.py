"""The embedded platform's process bookkeeping: dead components are noticed and restarted as process groups."""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

import pytest

from modelfleet.runtime import platform, processes
from modelfleet.runtime.config import EmbeddedConfig


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> EmbeddedConfig:
    # Stand-in commands: a component here is any long-running process group; Airflow itself is exercised in tests/e2e.
    monkeypatch.setattr(platform, "component_argv", lambda name, cfg: [sys.executable, "-c", "import time; time.sleep(60)"])
    monkeypatch.setenv("MODELFLEET_HOME", str(tmp_path / "home"))
    return EmbeddedConfig.from_env()


def test_revive_restarts_only_the_components_that_died(config: EmbeddedConfig) -> None:
    env = dict(os.environ)
    for name in platform.COMPONENTS:
        processes.start(processes.Component(name, platform.component_argv(name, config)), env, config.pid_dir, config.log_dir, config.home)
    try:
        victim = processes.read_pid(config.pid_dir, "scheduler")
        os.killpg(victim, signal.SIGKILL)  # stays an unreaped zombie: must still count as dead
        time.sleep(0.2)
        said: list[str] = []
        assert platform.revive(config, say=said.append) == ["scheduler"]
        assert said and "scheduler exited" in said[0]
        new_pid = processes.read_pid(config.pid_dir, "scheduler")
        assert new_pid != victim and processes.group_alive(new_pid)
        assert platform.revive(config, say=said.append) == []
    finally:
        for name in platform.COMPONENTS:
            processes.stop(config.pid_dir, name, grace_seconds=5)
    assert not any(s.running for s in platform.states(config))

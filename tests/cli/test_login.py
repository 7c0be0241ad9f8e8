"""`modelfleet up` and `modelfleet run` both say how to log in to the UIs they leave running (README promises it).

Called in-process with the platform start stubbed: what is checked is the
text, not Airflow, which tests/e2e/test_embedded_platform.py starts for real.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from rich.console import Console

from modelfleet.cli import lifecycle
from modelfleet.runtime.config import EmbeddedConfig
from modelfleet.runtime.fleet_run import PipelineResult

PASSWORD = "Zq7-generated_pw"


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> EmbeddedConfig:
    """An embedded platform on odd ports whose api-server has written the admin password."""
    monkeypatch.setenv("MODELFLEET_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("MODELFLEET_API_PORT", "18080")
    monkeypatch.setenv("MODELFLEET_MLFLOW_PORT", "15055")
    config = EmbeddedConfig.from_env()
    config.passwords_file.parent.mkdir(parents=True)
    config.passwords_file.write_text(json.dumps({"admin": PASSWORD}))
    return config


def _console() -> tuple[Console, io.StringIO]:
    out = io.StringIO()
    return Console(file=out, width=250, color_system=None), out


def _assert_login(text: str) -> None:
    flat = " ".join(text.split())
    assert f"Airflow UI http://127.0.0.1:18080 (login: user admin, password {PASSWORD})" in flat, text
    assert "MLflow UI http://127.0.0.1:15055" in flat, text


def test_up_prints_the_login(config: EmbeddedConfig, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lifecycle.platform, "up", lambda config, say: None)
    console, out = _console()
    assert lifecycle.up(console) == 0
    _assert_login(out.getvalue())


@pytest.mark.parametrize("state", ["success", "failed"], ids=["green-run", "failed-run"])
def test_run_summary_prints_the_login(config: EmbeddedConfig, state: str) -> None:
    """`run` ends with summarise(); the login matters most when a run failed and its logs are to be read."""
    console, out = _console()
    results = [PipelineResult("t__model", "t", state)]
    outcomes = {"t__model": {"t__model": {"outcome": "deployed", "why": "first model"}}}
    code = lifecycle.summarise(console, results, 0, 1.0, config, outcomes, {})
    assert code == (0 if state == "success" else 1)
    _assert_login(out.getvalue())


def test_login_before_the_password_exists_says_where_it_will_be(config: EmbeddedConfig) -> None:
    config.passwords_file.unlink()
    console, out = _console()
    lifecycle.print_login(console, config)
    assert str(config.passwords_file) in " ".join(out.getvalue().split())

"""The `modelfleet` command as a person uses it: exit codes and messages, never tracebacks."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]


def cli(*args: str, env: dict[str, str] | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "COLUMNS": "200", **(env or {})}
    return subprocess.run([sys.executable, "-m", "modelfleet.cli.main", *args], capture_output=True, text=True,
                          env=full_env, timeout=timeout, cwd=REPO)


@pytest.fixture
def tenants_copy(tmp_path: Path) -> Path:
    """The real fleet's specs, copied so a test can break one."""
    import shutil

    target = tmp_path / "tenants"
    shutil.copytree(REPO / "tenants", target, ignore=shutil.ignore_patterns("__pycache__", "tests", "*.py", "BUILD"))
    return target


def test_a_bad_mode_setting_is_an_error_message_not_a_traceback(tmp_path: Path) -> None:
    result = cli("status", env={"MODELFLEET_MODE": "kubernetes", "MODELFLEET_HOME": str(tmp_path / "home")})
    assert result.returncode == 2, result.stdout + result.stderr
    assert "MODELFLEET_MODE=kubernetes is the mode of the Helm deployment" in " ".join(result.stdout.split())
    assert "Traceback" not in result.stderr


def test_validate_passes_on_the_fleet() -> None:
    result = cli("validate")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "pipelines valid" in result.stdout
    assert "Traceback" not in result.stderr


def test_validate_names_file_field_and_fix_for_a_broken_spec(tenants_copy: Path) -> None:
    path = sorted((tenants_copy / "lending" / "models").glob("*.yaml"))[0]
    spec = yaml.safe_load(path.read_text())
    spec["evaluation"]["metrc"] = spec["evaluation"].pop("metric")
    path.write_text(yaml.safe_dump(spec))
    env = {"MODELFLEET_TENANTS_DIR": str(tenants_copy)}
    result = cli("validate", env=env)
    assert result.returncode == 1
    out = " ".join(result.stdout.split())
    assert f"tenants/lending/models/{path.name}: evaluation.metrc: unknown key" in out
    assert f"tenants/lending/models/{path.name}: evaluation.metric: required key is missing" in out
    assert "remove `metrc` or correct its spelling" in out
    assert "Traceback" not in result.stdout + result.stderr
    # Another team's folder alone still validates.
    assert cli(str(tenants_copy / "payments"), env=env).returncode == 2  # not a command
    assert cli("validate", str(tenants_copy / "payments"), env=env).returncode == 0
    assert cli("validate", str(tenants_copy / "lending"), env=env).returncode == 1


def test_validate_unknown_tenant_is_a_usage_error() -> None:
    result = cli("validate", "tenants/nosuchteam")
    assert result.returncode == 2
    assert "no such tenant folder" in result.stdout


def test_up_with_a_port_taken_by_someone_else_says_how_out(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = cli("up", env={"MODELFLEET_HOME": str(tmp_path / "home"), "MODELFLEET_API_PORT": str(port)})
    assert result.returncode == 1
    out = " ".join(result.stdout.split())
    assert f"port {port} (for api-server) is already in use" in out
    assert "MODELFLEET_API_PORT=<port> modelfleet up" in out
    assert "Traceback" not in result.stdout + result.stderr


def test_stale_pid_files_are_reported_and_cleared(tmp_path: Path) -> None:
    home = tmp_path / "home"
    (home / "pids").mkdir(parents=True)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    (home / "pids" / "scheduler.pid").write_text(str(dead.pid))
    env = {"MODELFLEET_HOME": str(home)}
    status = cli("status", env=env)
    assert status.returncode == 1 and "stopped" in status.stdout
    down = cli("down", env=env)
    assert down.returncode == 0 and "not running" in down.stdout
    assert not (home / "pids" / "scheduler.pid").exists()


def test_wrapper_before_install_says_which_command_to_run(tmp_path: Path) -> None:
    result = subprocess.run([str(REPO / "modelfleet"), "run"], capture_output=True, text=True,
                            env={**os.environ, "MODELFLEET_VENV": str(tmp_path / "no-venv")})
    assert result.returncode == 1
    assert "make install" in result.stderr


def test_codeowners_is_generated_from_tenant_owners() -> None:
    result = cli("codeowners", "--check")
    assert result.returncode == 0, result.stdout
    text = (REPO / "CODEOWNERS").read_text()
    for tenant_yaml in sorted((REPO / "tenants").glob("*/tenant.yaml")):
        tenant = yaml.safe_load(tenant_yaml.read_text())
        assert f"/tenants/{tenant['id']}/ {' '.join(tenant['owners'])}" in text
        assert f"/tenants/{tenant['id']}/tenant.yaml @modelfleet/platform\n" in text  # quotas are granted, not taken
    # infra/ (GPU capacity, data grants) is the platform's alone: no rule but the catch-all matches it
    rules = [line.split() for line in text.splitlines() if line.strip() and not line.startswith("#")]
    assert [r for r in rules if not r[0].startswith("/tenants/")] == [["*", "@modelfleet/platform"]]


def test_every_team_has_its_generated_dag_file() -> None:
    result = cli("dags", "sync", "--check")
    assert result.returncode == 0, result.stdout
    teams = sorted(p.parent.name for p in (REPO / "tenants").glob("*/tenant.yaml"))
    assert sorted(p.stem for p in (REPO / "dags" / "tenants").glob("*.py")) == teams
    assert f'build_tenant_dags("{teams[0]}")' in (REPO / "dags" / "tenants" / f"{teams[0]}.py").read_text()

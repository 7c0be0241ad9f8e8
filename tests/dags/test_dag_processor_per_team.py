"""Airflow's own DAG processor over the teams' DAG files: a spec edit re-parses its team only, a broken file costs its team only.

The processor runs as the platform runs it (`min_file_process_interval` 600 s,
the DAG factory preloaded), over a copy of the real tenants and a DAG folder
written by `modelfleet.dag_files`, on a migrated SQLite database of its own.
The spec watcher's pass is called in this process, as its component would.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from modelfleet import dag_files
from modelfleet.runtime.preload import DAG_PROCESSOR_PRELOAD, PRELOAD
from modelfleet.runtime.spec_watcher import SpecWatcher

REPO = Path(__file__).resolve().parents[2]
AIRFLOW = str(Path(sys.executable).parent / "airflow")
TEAMS = ("discovery", "lending", "payments", "retention", "supplychain")


class Processor:
    def __init__(self, database: Path) -> None:
        self.database = database

    def query(self, sql: str) -> list[tuple]:
        with sqlite3.connect(self.database) as db:
            return db.execute(sql).fetchall()

    def parsed_at(self) -> dict[str, str]:
        """DAG file (relative) -> the last time the processor parsed it."""
        return dict(self.query("select relative_fileloc, max(last_parsed_time) from dag group by relative_fileloc"))

    def wait(self, condition, what: str, timeout: float = 90.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if value := condition():
                    return value
            except sqlite3.OperationalError:  # the processor holds the write lock a moment
                pass
            time.sleep(0.5)
        raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


@pytest.fixture(scope="module")
def processor(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Processor, Path, Path]]:
    root = tmp_path_factory.mktemp("per-team")
    tenants, dags = root / "tenants", root / "dags"
    shutil.copytree(REPO / "tenants", tenants, ignore=shutil.ignore_patterns("__pycache__", "tests", "BUILD"))
    dags.mkdir()
    dag_files.apply(dag_files.plan(dags, tenants))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW__", "MODELFLEET_"))}
    env.update({
        "AIRFLOW_HOME": str(root / "airflow"), "AIRFLOW__CORE__DAGS_FOLDER": str(dags),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False", "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{root / 'airflow.db'}",
        "AIRFLOW__DAG_PROCESSOR__MIN_FILE_PROCESS_INTERVAL": "600", "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
        "MODELFLEET_HOME": str(root / "state"), "MODELFLEET_TENANTS_DIR": str(tenants), "MODELFLEET_DAGS_FOLDER": str(dags),
        PRELOAD: ",".join(DAG_PROCESSOR_PRELOAD),
    })
    subprocess.run([AIRFLOW, "db", "migrate"], env=env, check=True, capture_output=True, timeout=300)
    log = (root / "dag-processor.log").open("w")
    proc = subprocess.Popen([AIRFLOW, "dag-processor"], env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        handle = Processor(root / "airflow.db")
        handle.wait(lambda: len(handle.parsed_at()) == len(TEAMS), "the first parse of every team's file", timeout=180)
        yield handle, tenants, dags
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def test_a_spec_edit_is_parsed_at_once_and_re_parses_only_its_team(processor, monkeypatch: pytest.MonkeyPatch) -> None:
    handle, tenants, dags = processor
    monkeypatch.setenv("MODELFLEET_TENANTS_DIR", str(tenants))
    monkeypatch.setenv("MODELFLEET_DAGS_FOLDER", str(dags))
    before = handle.parsed_at()
    assert set(before) == {f"tenants/{team}.py" for team in TEAMS}
    spec_file = tenants / "lending" / "models" / "application_default.yaml"
    spec = yaml.safe_load(spec_file.read_text())
    spec["description"] = "edited while the processor runs"
    spec_file.write_text(yaml.safe_dump(spec))

    assert SpecWatcher().step(time.monotonic()) == ["lending"]
    handle.wait(lambda: handle.query("select description from dag where dag_id = 'lending__application_default'")[0][0]
                == "edited while the processor runs", "lending's edited DAG in the database", timeout=60)
    after = handle.parsed_at()
    assert after["tenants/lending.py"] > before["tenants/lending.py"]
    assert {f: t for f, t in after.items() if f != "tenants/lending.py"} == {f: t for f, t in before.items() if f != "tenants/lending.py"}


def test_a_team_file_that_fails_to_import_costs_only_that_team(processor) -> None:
    handle, _, dags = processor
    others = {f: t for f, t in handle.parsed_at().items() if f != "tenants/payments.py"}
    broken = dags / "tenants" / "payments.py"
    broken.write_text(broken.read_text() + "\nraise RuntimeError('payments broke its DAG file')\n")

    errors = handle.wait(lambda: handle.query("select filename, stacktrace from import_error"), "an import error", timeout=60)
    assert [name for name, _ in errors] == ["tenants/payments.py"]
    assert "payments broke its DAG file" in errors[0][1]
    assert {f: t for f, t in handle.parsed_at().items() if f != "tenants/payments.py"} == others
    live = {row[0].split("__")[0] for row in handle.query("select dag_id from dag where not is_stale")}
    assert set(TEAMS) - {"payments"} <= live  # every other team keeps its DAGs

"""Test-wide setup: every test session gets its own AIRFLOW_HOME and modelfleet state folder.

Set before anything imports airflow, so no test reads or writes ~/airflow
or the developer's running embedded platform.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path

_SESSION_HOME = Path(tempfile.mkdtemp(prefix="modelfleet-tests-"))
atexit.register(shutil.rmtree, _SESSION_HOME, ignore_errors=True)  # Pants runs each file in a process of its own
os.environ.setdefault("MODELFLEET_HOME", str(_SESSION_HOME / "state"))
os.environ["AIRFLOW_HOME"] = str(_SESSION_HOME / "airflow")
os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
os.environ["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] = f"sqlite:///{_SESSION_HOME / 'airflow.db'}"
os.environ.setdefault("AIRFLOW__CORE__DAGS_FOLDER", str(Path(__file__).parent / "dags"))

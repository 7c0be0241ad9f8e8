"""Airflow imports this module at start-up in every process (scheduler, API server, triggerer, DAG processor,
task runners, `airflow` CLI, `dag.test()`): `platform/` is on sys.path wherever modelfleet is installed.

It installs the platform's fixes to Airflow itself (modelfleet.runtime.airflow_fixes) and imports the modules a
component asks for in MODELFLEET_PRELOAD (modelfleet.runtime.preload); nothing else.
"""

from modelfleet.runtime.airflow_fixes import install
from modelfleet.runtime.preload import preload

install()
preload()

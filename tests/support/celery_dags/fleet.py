"""Airflow DAG file: the fleet's pipelines in one file (the teams' DAG files hold them per team), beside the celery-mode test DAGs."""

from modelfleet.dag_factory import build_fleet_dags

globals().update(build_fleet_dags())

"""Airflow DAG file: the fleet's pipelines, as dags/fleet.py builds them, beside the celery-mode test DAGs."""

from modelfleet.dag_factory import build_fleet_dags

globals().update(build_fleet_dags())

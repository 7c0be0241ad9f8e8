"""Airflow DAG file: the fleet's pipelines, as dags/fleet.py builds them; the chaos tests kill the scheduler under them."""

from modelfleet.dag_factory import build_fleet_dags

globals().update(build_fleet_dags())

"""Airflow DAG file: the fleet's pipelines in one file (the teams' DAG files hold them per team); the chaos tests kill the scheduler under them."""

from modelfleet.dag_factory import build_fleet_dags

globals().update(build_fleet_dags())

"""Turn tenant specs into Airflow DAGs, cheaply, at parse time."""

from modelfleet.dag_factory.fleet import build_fleet_dags

__all__ = ["build_fleet_dags"]

"""Airflow DAG file of the model fleet: one DAG per tenant model spec (tenants/<team>/models/*.yaml).

Kept thin on purpose: the DAG processor imports this file often, so all work
is in modelfleet.dag_factory, which reads YAML and wires operators only.
"""

from modelfleet.dag_factory import build_fleet_dags

globals().update(build_fleet_dags())

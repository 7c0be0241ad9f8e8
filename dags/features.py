"""Airflow DAG file of the tenants' feature pipelines: one `<team>__features` DAG per team.

Each materializes the team's Feast feature views for the logical date and
publishes the Asset `<team>__features`, on which training DAGs can be
scheduled (`schedule: {asset: <team>__features}`). Kept thin: the views come
from the specs through modelfleet.dag_factory.features; Feast and pandas are
imported only when a task runs.
"""

from modelfleet.dag_factory.features import build_feature_dags

globals().update(build_feature_dags())

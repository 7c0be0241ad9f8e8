"""Airflow DAG file of the platform's monitoring (`modelfleet_monitoring`): fleet health and alerts for on-call.

Kept thin: the checks live in modelfleet.monitoring and import their heavy
libraries only when a task runs.
"""

from modelfleet.monitoring.dag import MONITORING_DAG_ID, build_monitoring_dag

globals()[MONITORING_DAG_ID] = build_monitoring_dag()

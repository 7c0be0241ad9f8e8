"""The embedded default: Airflow + MLflow on one machine, started and stopped as process groups."""

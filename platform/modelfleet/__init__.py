"""modelfleet: shared platform library for a multi-tenant fleet of ML pipelines on Airflow 3."""

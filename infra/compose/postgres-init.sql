-- Databases besides Airflow's (POSTGRES_DB): MLflow's backend store and the platform's own tables
-- (GPU leases, dead letters; MODELFLEET_DB_URL). Run once, when the volume is created.
CREATE DATABASE mlflow OWNER airflow;
CREATE DATABASE modelfleet OWNER airflow;

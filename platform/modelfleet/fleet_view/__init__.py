"""The fleet at a glance: the Fleet page inside the Airflow UI (an Airflow plugin) and `modelfleet report`.

Both read the same view (`assemble`) from Airflow's metadata database, MLflow's
REST API and the platform's own tables; nothing is scraped. The pipelines come
from Airflow's DAG table (tags `tenant:<id>`), not from parsing specs, so the
page costs the same whether the fleet has 25 pipelines or 1,000.
"""

"""Airflow DAG file of a benchmark DAG folder: the one pipeline of the lineage-overhead benchmark, as the fleet builds it (DVC snapshots on)."""

from modelfleet.dag_factory.pipeline import build_pipeline_dag
from modelfleet.specs.loader import load_pipeline

dag = build_pipeline_dag(load_pipeline("lending", "application_default"))

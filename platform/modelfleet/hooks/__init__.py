"""Airflow hooks: thin clients whose secrets come only from connections."""

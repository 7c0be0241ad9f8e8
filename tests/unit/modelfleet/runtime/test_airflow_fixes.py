"""The platform's fixes to Airflow 3.3.2 are installed in every Airflow process and decode deadline intervals."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta

from modelfleet.runtime.airflow_fixes import interval_of


def test_a_fresh_airflow_process_has_the_fixes_installed_by_airflow_local_settings():
    probe = ("import airflow, airflow.models.taskinstance as ti; from airflow.models.deadline_alert import DeadlineAlert as A; "
             "print(getattr(ti._recalculate_dagrun_queued_at_deadlines, '_modelfleet_fixed', False), "
             "getattr(A.get_by_id, '_modelfleet_fixed', False))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True)
    assert out.stdout.split()[-2:] == ["True", "True"]


def test_the_stored_interval_decodes_from_seconds_and_from_the_serializers_encoding():
    from airflow.sdk.serde import serialize

    encoded = serialize(timedelta(hours=2))
    assert isinstance(encoded, dict)  # what the DAG serializer stores, and Airflow's clear could not read
    assert interval_of(encoded) == timedelta(hours=2)
    assert interval_of(7200) == timedelta(hours=2)

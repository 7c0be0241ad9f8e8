"""DataFileSensor: poke over DataStoreHook.check, the inline first check, deferral, and the timeout message."""

from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone

import pytest
from airflow.sdk.exceptions import AirflowSensorTimeout, TaskDeferred

from modelfleet.sensors.data_file import DataFileSensor
from modelfleet.triggers.data_file import DataFileTrigger

AT = datetime(2026, 11, 21, tzinfo=timezone.utc)
RUN = {"data_interval_end": AT}
"""A run whose data interval ends at AT: file ages are measured back from there, never from the wall clock."""


def sensor(path: str, **kwargs) -> DataFileSensor:
    return DataFileSensor(task_id="wait_for_data", path=path, min_size_bytes=10, max_age=timedelta(days=1), **kwargs)


def write(path, size: int, age: timedelta = timedelta(0)) -> str:
    path.write_bytes(b"x" * size)
    stamp = (AT - age).timestamp()
    os.utime(path, (stamp, stamp))
    return str(path)


@pytest.mark.parametrize(
    ("size", "age", "expected"),
    [
        pytest.param(100, timedelta(0), True, id="present"),
        pytest.param(3, timedelta(0), False, id="too-small"),
        pytest.param(100, timedelta(days=2), False, id="too-old"),
    ],
)
def test_poke_local(tmp_path, size, age, expected):
    assert sensor(write(tmp_path / "d.parquet", size, age)).poke(RUN) is expected


def test_backfill_finds_a_file_that_landed_for_its_date_weeks_ago(tmp_path):
    """The file landed the day after its logical date; the backfill runs whenever: ready, judged at the interval end."""
    landed = write(tmp_path / "d.parquet", 100, age=-timedelta(days=1))
    backfill = {"data_interval_end": AT, "logical_date": AT}
    assert sensor(landed).poke(backfill) is True
    assert sensor(landed).poke({"data_interval_end": AT + timedelta(days=3)}) is False  # a later date: too old for it


def test_poke_missing_local(tmp_path):
    assert sensor(str(tmp_path / "nothing.parquet")).poke(RUN) is False


def test_s3_poke_through_the_connection(s3_bucket):
    client, bucket = s3_bucket
    path = f"s3://{bucket}/tx/2026-11-20.parquet"
    waiting = sensor(path, aws_conn_id="aws_test")
    assert waiting.poke(RUN) is False
    client.put_object(Bucket=bucket, Key="tx/2026-11-20.parquet", Body=b"x" * 100)
    assert waiting.poke(RUN) is True


def test_s3_paths_default_to_the_aws_default_connection():
    assert sensor("s3://bucket/x.parquet").aws_conn_id == "aws_default"
    assert sensor("/data/x.parquet").aws_conn_id is None


def test_ready_data_needs_no_deferral(tmp_path):
    assert sensor(write(tmp_path / "d.parquet", 100)).execute(RUN) is None


def test_missing_data_defers_to_the_trigger_with_the_same_rule(tmp_path):
    path = str(tmp_path / "later.parquet")
    with pytest.raises(TaskDeferred) as deferred:
        sensor(path, poke_interval=5, timeout=60).execute(RUN)
    trigger = deferred.value.trigger
    assert isinstance(trigger, DataFileTrigger) and deferred.value.method_name == "execute_complete"
    assert trigger.serialize()[1] == {"path": path, "min_size_bytes": 10, "max_age_seconds": 86400.0,
                                      "judged_at": "2026-11-21T00:00:00+00:00", "poke_interval": 5,
                                      "aws_conn_id": None, "timeout_seconds": 60}


def test_timeout_event_fails_with_the_reason(tmp_path):
    with pytest.raises(AirflowSensorTimeout, match=r"data not ready after 0:01:00: /x has 3 bytes"):
        sensor("/x", timeout=60).execute_complete({}, {"ready": False, "reason": "/x has 3 bytes, fewer than the required 10"})


def test_ready_event_completes(tmp_path):
    assert sensor("/x").execute_complete({}, {"ready": True, "reason": "/x is ready"}) is None

"""DataFileTrigger.run(): polls the same check as the sensor; yields ready, or not ready with the reason at the deadline."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

from modelfleet.triggers.data_file import DataFileTrigger


def first_event(trigger: DataFileTrigger, *, arrive=None, after: float = 0.0) -> dict:
    async def main() -> dict:
        if arrive is not None:
            async def land() -> None:
                await asyncio.sleep(after)
                arrive()
            task = asyncio.create_task(land())
        event = await anext(trigger.run())
        if arrive is not None:
            await task
        return event.payload

    return asyncio.run(asyncio.wait_for(main(), timeout=30))


def trigger(path: str, timeout: float, judged_at: datetime | None = None) -> DataFileTrigger:
    """`judged_at` defaults to now: these files are written as the test runs."""
    return DataFileTrigger(path, min_size_bytes=10, max_age_seconds=timedelta(days=1).total_seconds(),
                           judged_at=(judged_at or datetime.now(timezone.utc)).isoformat(),
                           poke_interval=0.05, aws_conn_id=None, timeout_seconds=timeout)


def test_yields_ready_once_the_file_arrives(tmp_path):
    path = tmp_path / "d.parquet"
    event = first_event(trigger(str(path), timeout=20), arrive=lambda: path.write_bytes(b"x" * 100), after=0.2)
    assert event["ready"] is True and event["reason"].startswith(f"{path} is ready (100 bytes")


def test_yields_not_ready_with_the_last_reason_on_timeout(tmp_path):
    path = tmp_path / "d.parquet"
    path.write_bytes(b"x")
    event = first_event(trigger(str(path), timeout=0.3))
    assert event == {"ready": False, "reason": f"{path} has 1 bytes, fewer than the required 10"}


def test_yields_not_ready_when_the_file_is_too_old_for_the_run(tmp_path):
    path = tmp_path / "d.parquet"
    path.write_bytes(b"x" * 100)
    event = first_event(trigger(str(path), timeout=0.3, judged_at=datetime.now(timezone.utc) + timedelta(days=2)))
    assert event["ready"] is False and "more than the allowed 1 day, 0:00:00" in event["reason"]


def test_serialize_round_trips():
    original = trigger("/d/x.parquet", timeout=60, judged_at=datetime(2026, 11, 21, tzinfo=timezone.utc))
    classpath, kwargs = original.serialize()
    assert classpath == "modelfleet.triggers.data_file.DataFileTrigger"
    assert DataFileTrigger(**kwargs).serialize() == (classpath, kwargs)


def test_s3_object_arrival_through_the_connection(s3_bucket):
    client, bucket = s3_bucket
    waiting = DataFileTrigger(f"s3://{bucket}/tx/d.parquet", min_size_bytes=10, max_age_seconds=3600,
                              judged_at=datetime.now(timezone.utc).isoformat(), poke_interval=0.05, aws_conn_id="aws_test", timeout_seconds=20)
    event = first_event(waiting, arrive=lambda: client.put_object(Bucket=bucket, Key="tx/d.parquet", Body=b"x" * 50), after=0.2)
    assert event["ready"] is True and "(50 bytes" in event["reason"]

"""DataStoreHook.check: present, big enough and fresh, for local files and for S3 (a real moto server)."""

from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone

import pytest

from modelfleet.hooks.data_store import DataStoreHook

AT = datetime(2026, 11, 21, tzinfo=timezone.utc)
"""The end of the run's data interval that ages are measured back from: fixed, whatever day the test runs."""


@pytest.mark.parametrize(
    ("size", "age", "ready", "reason"),
    [
        pytest.param(100, timedelta(0), True, "is ready (100 bytes", id="present"),
        pytest.param(5, timedelta(0), False, "has 5 bytes, fewer than the required 10", id="too-small"),
        pytest.param(100, timedelta(days=3), False,
                     "was modified 3 days, 0:00:00 before the data interval end (2026-11-21T00:00:00+00:00), "
                     "more than the allowed 1 day, 0:00:00", id="too-old"),
        pytest.param(100, -timedelta(days=30), True, "is ready (100 bytes", id="landed-after-the-interval"),
        pytest.param(None, None, False, "does not exist", id="missing"),
    ],
)
def test_local_file(tmp_path, size, age, ready, reason):
    path = tmp_path / "in" / "2026-11-20.parquet"
    if size is not None:
        path.parent.mkdir()
        path.write_bytes(b"x" * size)
        stamp = (AT - age).timestamp()
        os.utime(path, (stamp, stamp))
    check = DataStoreHook(aws_conn_id=None).check(str(path), min_size_bytes=10, max_age=timedelta(days=1), judged_at=AT)
    assert check.ready is ready
    assert check.reason.startswith(str(path)) and reason in check.reason
    assert check.size_bytes == size


def test_s3_object_present_too_small_and_missing(s3_bucket):
    client, bucket = s3_bucket
    client.put_object(Bucket=bucket, Key="tx/2026-11-20.parquet", Body=b"x" * 100)
    client.put_object(Bucket=bucket, Key="tx/tiny.parquet", Body=b"x")
    hook = DataStoreHook(aws_conn_id="aws_test")

    now = datetime.now(timezone.utc)  # moto stamps objects with the wall clock
    check = hook.check(f"s3://{bucket}/tx/2026-11-20.parquet", 10, timedelta(hours=1), now)
    assert check.ready and check.size_bytes == 100
    assert abs(now - check.modified) < timedelta(minutes=1)
    old = hook.check(f"s3://{bucket}/tx/2026-11-20.parquet", 10, timedelta(hours=1), now + timedelta(hours=2))
    assert not old.ready and "more than the allowed 1:00:00" in old.reason

    small = hook.check(f"s3://{bucket}/tx/tiny.parquet", 10, timedelta(hours=1), now)
    assert not small.ready and "has 1 bytes, fewer than the required 10" in small.reason

    missing = hook.check(f"s3://{bucket}/tx/2026-11-21.parquet", 10, timedelta(hours=1), now)
    assert not missing.ready and missing.reason == f"s3://{bucket}/tx/2026-11-21.parquet does not exist"


def test_s3_credentials_and_endpoint_come_from_the_connection(s3_bucket, moto_endpoint):
    client = DataStoreHook(aws_conn_id="aws_test").s3_client
    assert client.meta.endpoint_url == moto_endpoint and client.meta.region_name == "us-east-1"
    assert client._request_signer._credentials.access_key == "x"


def test_s3_missing_bucket_fails_at_once_with_the_fix(s3_bucket):
    """HEAD answers 404 for a missing bucket too; the bucket is then checked, so the sensor fails now instead of at its timeout."""
    with pytest.raises(FileNotFoundError, match="bucket 'no-such-bucket-here' does not exist .* check the spec's data.path"):
        DataStoreHook(aws_conn_id="aws_test").check("s3://no-such-bucket-here/x.parquet", 1, timedelta(hours=1), AT)

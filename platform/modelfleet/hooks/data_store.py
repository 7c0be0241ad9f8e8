"""Is a data file there, big enough and fresh? One check for local paths and S3 URIs.

Both the sensor's first poke and the deferral trigger call `DataStoreHook.check`,
so the rule lives in one place.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import cached_property
from typing import Any

from airflow.sdk import BaseHook


@dataclass(frozen=True)
class DataCheck:
    ready: bool
    reason: str
    size_bytes: int | None = None
    modified: datetime | None = None


def judge(path: str, size: int | None, modified: datetime | None, min_size_bytes: int, max_age: timedelta,
          judged_at: datetime) -> DataCheck:
    """Ready when present, at least `min_size_bytes`, and modified no more than `max_age` before `judged_at`.

    `judged_at` is the end of the run's data interval, not the wall clock: a
    file that landed for its date is ready for a backfill weeks later, and a
    leftover written long before the interval ended is not.
    """
    if size is None or modified is None:
        return DataCheck(False, f"{path} does not exist")
    if size < min_size_bytes:
        return DataCheck(False, f"{path} has {size} bytes, fewer than the required {min_size_bytes}", size, modified)
    age = judged_at - modified
    if age > max_age:
        return DataCheck(False, f"{path} was modified {age} before the data interval end ({judged_at.isoformat()}), "
                                f"more than the allowed {max_age}", size, modified)
    return DataCheck(True, f"{path} is ready ({size} bytes, modified {modified.isoformat()})", size, modified)


class DataStoreHook(BaseHook):
    """Stat local files and S3 objects; S3 credentials and endpoint come from an AWS connection."""

    conn_name_attr = "aws_conn_id"
    default_conn_name = "aws_default"
    conn_type = "aws"
    hook_name = "modelfleet data store"

    def __init__(self, *, aws_conn_id: str | None = default_conn_name) -> None:
        super().__init__()
        self.aws_conn_id = aws_conn_id

    @cached_property
    def s3_client(self) -> Any:
        import boto3

        options: dict[str, Any] = {}
        if self.aws_conn_id:
            conn = self.get_connection(self.aws_conn_id)
            extra = conn.extra_dejson if conn.extra else {}
            options = {
                "aws_access_key_id": conn.login or None,
                "aws_secret_access_key": conn.password or None,
                "endpoint_url": extra.get("endpoint_url"),
                "region_name": extra.get("region_name", "us-east-1"),
            }
        return boto3.client("s3", **{k: v for k, v in options.items() if v})

    def stat(self, path: str) -> tuple[int | None, datetime | None]:
        if path.startswith("s3://"):
            bucket, _, key = path.removeprefix("s3://").partition("/")
            try:
                head = self.s3_client.head_object(Bucket=bucket, Key=key)
            except self.s3_client.exceptions.ClientError as exc:
                if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                    self._require_bucket(bucket, path)
                    return None, None
                raise
            return int(head["ContentLength"]), head["LastModified"].astimezone(timezone.utc)
        try:
            info = os.stat(path)
        except FileNotFoundError:
            return None, None
        return info.st_size, datetime.fromtimestamp(info.st_mtime, tz=timezone.utc)

    def _require_bucket(self, bucket: str, path: str) -> None:
        """A missing object may still arrive; a missing bucket never will: fail now, not at the timeout."""
        try:
            self.s3_client.head_bucket(Bucket=bucket)
        except self.s3_client.exceptions.ClientError as exc:
            raise FileNotFoundError(
                f"{path}: bucket {bucket!r} does not exist or is not reachable with connection {self.aws_conn_id!r}; "
                "check the spec's data.path and the connection's endpoint_url"
            ) from exc

    def check(self, path: str, min_size_bytes: int, max_age: timedelta, judged_at: datetime) -> DataCheck:
        size, modified = self.stat(path)
        return judge(path, size, modified, min_size_bytes, max_age, judged_at)

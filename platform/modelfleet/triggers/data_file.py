"""Poll a data file from the triggerer, so a waiting sensor holds no worker slot."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any

from airflow.triggers.base import BaseTrigger, TriggerEvent


class DataFileTrigger(BaseTrigger):
    def __init__(
        self, path: str, min_size_bytes: int, max_age_seconds: float, judged_at: str, poke_interval: float,
        aws_conn_id: str | None, timeout_seconds: float,
    ) -> None:
        super().__init__()
        self.path = path
        self.min_size_bytes = min_size_bytes
        self.max_age_seconds = max_age_seconds
        self.judged_at = judged_at
        """The run's data interval end (ISO 8601) that `max_age` is measured back from."""
        self.poke_interval = poke_interval
        self.aws_conn_id = aws_conn_id
        self.timeout_seconds = timeout_seconds

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return (
            f"{type(self).__module__}.{type(self).__qualname__}",
            {
                "path": self.path,
                "min_size_bytes": self.min_size_bytes,
                "max_age_seconds": self.max_age_seconds,
                "judged_at": self.judged_at,
                "poke_interval": self.poke_interval,
                "aws_conn_id": self.aws_conn_id,
                "timeout_seconds": self.timeout_seconds,
            },
        )

    async def run(self) -> AsyncIterator[TriggerEvent]:
        from modelfleet.hooks.data_store import DataStoreHook

        hook = DataStoreHook(aws_conn_id=self.aws_conn_id)
        max_age = timedelta(seconds=self.max_age_seconds)
        judged_at = datetime.fromisoformat(self.judged_at)
        deadline = asyncio.get_running_loop().time() + self.timeout_seconds
        while True:
            check = await asyncio.to_thread(hook.check, self.path, self.min_size_bytes, max_age, judged_at)
            if check.ready:
                yield TriggerEvent({"ready": True, "reason": check.reason})
                return
            if asyncio.get_running_loop().time() >= deadline:
                yield TriggerEvent({"ready": False, "reason": check.reason})
                return
            self.log.info("waiting: %s", check.reason)
            await asyncio.sleep(self.poke_interval)

"""The instant a run judges its data at: the end of its data interval, never the wall clock.

Freshness rules (the sensor's `max_age`, validation's `max_staleness`) are
measured from here, so one logical date's data gets the same verdict whether
its run is scheduled, replayed or backfilled weeks later. For a scheduled run
the end of the data interval is when the run was due; a manual run or a
backfill of that date gets the same interval from the DAG's timetable.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, time, timezone
from typing import Any


def as_utc(instant: datetime) -> datetime:
    """A plain, timezone-aware UTC datetime (Airflow hands out pendulum instants)."""
    if instant.tzinfo is None:
        raise ValueError(f"{instant!r} has no timezone: freshness is measured between UTC instants")
    return datetime.fromtimestamp(instant.timestamp(), tz=timezone.utc)


def data_interval_end(context: Mapping[str, Any]) -> datetime:
    """The end of the run's data interval (its logical date when the run has no interval)."""
    for key in ("data_interval_end", "logical_date"):
        instant = context.get(key)
        if instant is not None:
            return as_utc(instant)
    raise ValueError("the run has neither a data interval nor a logical date to measure freshness from")


def start_of_day(day: date) -> datetime:
    """Midnight UTC of a logical date: the logical date, and the data interval end, of a run triggered for it."""
    return datetime.combine(day, time(), tzinfo=timezone.utc)

"""The dead-letter queue: task instances that failed for good, kept in the platform's database until someone acts.

Written by the failure callback (notifiers/dead_letter.py), read and acted on
by `modelfleet dlq` (cli/dlq.py). An entry is `open` until it is `replayed`
(the task ran again for the same logical date) or `discarded` (on-call
decided nothing is to be done).

One open entry per task instance of a run: recording the same try again is a
no-op, and a later try of the same task instance that fails for good while
its entry is still open replaces that entry's try and error (one replay
covers both). That later try happens when the scheduler dies while a failed
task is reporting: Airflow resets the orphaned task and runs it again.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, insert, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from modelfleet import state_db
from modelfleet.state_db import dead_letters

OPEN, REPLAYED, DISCARDED = "open", "replayed", "discarded"
STATES = (OPEN, REPLAYED, DISCARDED)
MESSAGE_LIMIT = 4000
"""Characters of the error message kept: enough for a validation summary, bounded for the table."""


@dataclass(frozen=True)
class Failure:
    """What the failure callback knows about the task instance that failed."""

    tenant: str
    dag_id: str
    task_id: str
    run_id: str
    try_number: int
    map_index: int = -1
    logical_date: str | None = None
    error_class: str = "transient"
    error_type: str = ""
    message: str = ""


def record(failure: Failure, *, now: float | None = None, engine: Engine | None = None) -> int:
    """The id of the task instance's open entry: added, or brought up to this try (see the module docstring)."""
    engine = engine or state_db.engine()
    values = {**failure.__dict__, "message": failure.message[:MESSAGE_LIMIT],
              "failed_at": time.time() if now is None else now, "state": OPEN}
    c = dead_letters.c
    try:
        with engine.begin() as conn:
            open_entry = conn.execute(select(c.id, c.try_number).where(and_(
                c.dag_id == failure.dag_id, c.run_id == failure.run_id, c.task_id == failure.task_id,
                c.map_index == failure.map_index, c.state == OPEN)).order_by(c.try_number.desc())).first()
            if open_entry is None:
                return int(conn.execute(insert(dead_letters).values(**values)).inserted_primary_key[0])
            if failure.try_number > open_entry.try_number:
                conn.execute(update(dead_letters).where(c.id == open_entry.id).values(**values))
            return int(open_entry.id)
    except IntegrityError:  # another process recorded this try first
        found = _find_try(engine, failure)
        if found is None:
            raise
        return found


def _find_try(engine: Engine, failure: Failure) -> int | None:
    with engine.connect() as conn:
        c = dead_letters.c
        return conn.execute(select(c.id).where(and_(
            c.dag_id == failure.dag_id, c.run_id == failure.run_id, c.task_id == failure.task_id,
            c.map_index == failure.map_index, c.try_number == failure.try_number))).scalar()


def entries(*, state: str | None = None, tenant: str | None = None, dag_id: str | None = None,
            run_id: str | None = None, engine: Engine | None = None) -> list[Any]:
    """Entries, oldest first, optionally only those in `state` / of `tenant` / of a DAG / of a run."""
    engine = engine or state_db.engine()
    c = dead_letters.c
    query = select(dead_letters).order_by(c.id)
    for column, value in ((c.state, state), (c.tenant, tenant), (c.dag_id, dag_id), (c.run_id, run_id)):
        if value is not None:
            query = query.where(column == value)
    with engine.connect() as conn:
        return list(conn.execute(query))


def get(entry_id: int, *, engine: Engine | None = None) -> Any | None:
    engine = engine or state_db.engine()
    with engine.connect() as conn:
        return conn.execute(select(dead_letters).where(dead_letters.c.id == entry_id)).first()


def set_state(entry_ids: list[int], state: str, note: str | None = None, *, now: float | None = None,
              engine: Engine | None = None) -> int:
    """Move entries to `state` (replayed or discarded); how many changed."""
    if state not in STATES:
        raise ValueError(f"state must be one of {STATES}, got {state!r}")
    engine = engine or state_db.engine()
    with engine.begin() as conn:
        result = conn.execute(update(dead_letters).where(dead_letters.c.id.in_(entry_ids)).values(
            state=state, note=note, state_changed_at=time.time() if now is None else now))
    return result.rowcount or 0

"""One place decides whether a failure is worth retrying.

- **transient**: the next try may succeed (network, timeouts, a busy
  resource, a registry or model server that answers 5xx or not at all, no
  free GPU lease). Airflow retries with exponential backoff up to a
  maximum delay.
- **permanent**: the next try fails the same way (bad data, a failed
  validation, an invalid spec, a model that fails its smoke test). The task
  fails at once, without retries, and goes to alert and the dead-letter queue.

An exception nobody classified is transient: a wasted retry costs minutes, a
skipped retry of a transient failure costs the run.
"""

from __future__ import annotations

from collections.abc import Iterator

TRANSIENT = "transient"
PERMANENT = "permanent"


class PermanentFailure(Exception):
    """A failure no retry can fix; raise it (or a subclass) instead of a bare exception."""


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """The exception and its causes (`raise ... from`), then its context, without looping."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _permanent_types() -> tuple[type[BaseException], ...]:
    from airflow.sdk.exceptions import AirflowFailException

    from modelfleet.specs.errors import SpecError

    return (PermanentFailure, AirflowFailException, SpecError)


def classify(exc: BaseException | None) -> str:
    """`permanent` if the exception, or one it was raised from, is a known permanent failure; else `transient`."""
    if exc is None:
        return TRANSIENT
    permanent = _permanent_types()
    for link in _chain(exc):
        if isinstance(link, permanent):
            return PERMANENT
        status = getattr(link, "status", None)
        if isinstance(status, int) and 400 <= status < 500 and status not in (408, 429):
            return PERMANENT  # a service refused the request itself (ModelServerError 409, 422, ...)
    return TRANSIENT

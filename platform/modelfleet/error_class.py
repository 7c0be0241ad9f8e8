"""One place decides whether a failure is worth retrying, and one mixin applies the decision to every operator.

- **transient**: the next try may succeed (network, timeouts, a busy
  resource, a registry or model server that answers 5xx or not at all, no
  free GPU lease, SQLite's "database is locked"). The exception is re-raised
  as is and Airflow retries with exponential backoff up to a maximum delay
  (dag_factory/defaults.py).
- **permanent**: the next try fails the same way (bad data, a failed
  validation, an invalid spec, a model that fails its smoke test, a service
  refusing the request with a 4xx). The task fails at once, without retries,
  and goes to alert and the dead-letter queue.

The chain of an exception (`raise ... from`, then the context) is read
outermost first, and the first link of a known kind decides: a
`RegistryUnavailable` raised while handling a 4xx is still an outage. An
exception nobody classified is transient: a wasted retry costs minutes, a
skipped retry of a transient failure costs the run.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

TRANSIENT = "transient"
PERMANENT = "permanent"

PERMANENT_TYPES = (
    "modelfleet.error_class.PermanentFailure",  # and its subclasses, e.g. operators.deploy.SmokeTestFailed
    "airflow.sdk.exceptions.AirflowFailException",  # validate_data, quality_alert, deploy: "do not retry"
    "airflow.sdk.exceptions.AirflowSensorTimeout",  # Airflow never retries it either; replay once the data is there
    "modelfleet.specs.errors.SpecError",
    "modelfleet.features.config.FeatureStoreConfigError",
)
"""Dotted names, imported on first use: classifying must not import the operators' heavy modules."""

TRANSIENT_TYPES = (
    "modelfleet.hooks.mlflow_registry.RegistryUnavailable",
    "modelfleet.hooks.model_server.ModelServerUnavailable",
    "modelfleet.scheduling.leases.NoDeviceFree",
    "airflow.sdk.exceptions.AirflowTaskTimeout",
    "builtins.TimeoutError",  # socket.timeout too
    "builtins.ConnectionError",  # refused, reset, aborted
    "httpx.TransportError",  # connect errors and timeouts of httpx
    "requests.exceptions.ConnectionError",
    "requests.exceptions.Timeout",
)

RETRYABLE_STATUS = frozenset({408, 425, 429})
"""4xx answers that mean "not now" rather than "never"."""


class PermanentFailure(Exception):
    """A failure no retry can fix; raise it (or a subclass) instead of a bare exception."""


@dataclass(frozen=True)
class Verdict:
    error_class: str
    cause: str
    """Type name of the exception that decided (the outermost one when nothing did)."""


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """The exception and its causes (`raise ... from`), then its context, without looping."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


@functools.cache
def _types(names: tuple[str, ...]) -> tuple[type[BaseException], ...]:
    """The importable ones of `names` (an optional library that is not installed classifies nothing)."""
    found = []
    for name in names:
        module, _, attr = name.rpartition(".")
        try:
            found.append(getattr(importlib.import_module(module), attr))
        except (ImportError, AttributeError):
            continue
    return tuple(found)


def _status(exc: BaseException) -> int | None:
    """The HTTP status a service answered with, where the exception carries one (ours, httpx/requests, botocore)."""
    for value in (getattr(exc, "status", None), getattr(exc, "status_code", None),
                  getattr(getattr(exc, "response", None), "status_code", None)):
        if isinstance(value, int):
            return value
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        code = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        return code if isinstance(code, int) else None
    return None


def _decide(link: BaseException) -> str | None:
    if isinstance(link, _types(PERMANENT_TYPES)):
        return PERMANENT
    if isinstance(link, _types(TRANSIENT_TYPES)):
        return TRANSIENT
    if type(link).__name__ == "OperationalError" and "database is locked" in str(link):
        return TRANSIENT  # SQLite (sqlite3 or SQLAlchemy's wrapper) under write contention
    status = _status(link)
    if status is not None and 400 <= status < 600:
        return PERMANENT if status < 500 and status not in RETRYABLE_STATUS else TRANSIENT
    return None


def explain(exc: BaseException | None) -> Verdict:
    """The class of `exc` and the type in its chain that decided it."""
    if exc is None:
        return Verdict(TRANSIENT, "no exception")
    links = list(_chain(exc))
    for i, link in enumerate(links):
        decided = _decide(link)
        if decided is not None:
            return Verdict(decided, _named_cause(link, links[i + 1:]))
    return Verdict(TRANSIENT, type(exc).__name__)


def _named_cause(decider: BaseException, inner: list[BaseException]) -> str:
    """The decider's type; for Airflow's "do not retry" wrapper, the permanent failure it wraps (SmokeTestFailed, SpecError)."""
    if type(decider).__name__ == "AirflowFailException":
        for link in inner:
            if _decide(link) == PERMANENT:
                return type(link).__name__
    return type(decider).__name__


def classify(exc: BaseException | None) -> str:
    """`permanent` or `transient` (see the module docstring)."""
    return explain(exc).error_class


def apply_error_class(method: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap an operator method: a permanent failure becomes an AirflowFailException (chained), anything else is re-raised."""
    if getattr(method, "__error_class_applied__", False):
        return method

    @functools.wraps(method)
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        except Exception as exc:
            from airflow.sdk.exceptions import AirflowFailException, AirflowSensorTimeout

            if isinstance(exc, (AirflowFailException, AirflowSensorTimeout)):
                raise  # Airflow already fails these without retries
            verdict = explain(exc)
            if verdict.error_class != PERMANENT:
                raise  # Airflow retries it, with backoff
            raise AirflowFailException(f"permanent failure, not retried ({verdict.cause}): {exc}") from exc

    wrapper.__error_class_applied__ = True  # type: ignore[attr-defined]
    return wrapper


class ClassifiedErrors:
    """Mixin for operators and sensors: every `execute` (and deferral resume) a subclass defines is wrapped by apply_error_class.

    Done once here, in `__init_subclass__`, so a new operator cannot forget
    it: deriving from PipelineStageOperator (or mixing this in) is enough.
    """

    ERROR_CLASS_METHODS = ("execute", "execute_complete")

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for name in cls.ERROR_CLASS_METHODS:
            method = cls.__dict__.get(name)
            if callable(method):
                setattr(cls, name, apply_error_class(method))

"""Platform attributes on the current OpenTelemetry span, and the id of the trace it belongs to.

Airflow makes the spans (a `dag_run.<dag_id>` root per DAG run, a
`task_run.<task_id>` per task instance and, current while a task runs, its
`worker.<task_id>` span); modelfleet only adds what it knows, as
`modelfleet.<key>` attributes on whatever span is current. With tracing off,
or in a run that was not sampled, the current span does not record and
`annotate` does nothing.
"""

from __future__ import annotations

import json
import numbers
from collections.abc import Mapping
from typing import Any, cast

from opentelemetry import trace

PREFIX = "modelfleet."

AttributeValue = str | bool | int | float | list[str] | list[bool] | list[int] | list[float]

_INT64 = range(-(2**63), 2**63)


def _scalar(value: Any) -> str | bool | int | float:
    if isinstance(value, (bool, str)):
        return value
    if isinstance(value, numbers.Integral):  # numpy integers too
        as_int = int(value)
        return as_int if as_int in _INT64 else str(as_int)
    if isinstance(value, numbers.Real):
        return float(value)
    if isinstance(value, Mapping):
        return json.dumps(value, sort_keys=True, default=str)
    if isinstance(value, bytes):
        return value.hex()
    return str(value)


def coerce(value: Any) -> AttributeValue | None:
    """`value` as an OpenTelemetry attribute value: a str, bool, int or float, or a list of one of them.

    None stays None (the caller skips it). Lists, tuples and sets become lists
    (sets sorted, None items dropped); a list mixing types becomes a list of
    strings. Anything else (a Path, an enum, a date) becomes its str().
    """
    if value is None:
        return None
    if isinstance(value, (list, tuple, set, frozenset)):
        items = [_scalar(v) for v in value if v is not None]
        if isinstance(value, (set, frozenset)):
            items = sorted(items, key=str)
        kinds = {type(v) for v in items}
        if len(kinds) > 1:
            return [str(v) for v in items]
        return cast(AttributeValue, items)
    return _scalar(value)


def annotate(**attributes: Any) -> None:
    """Set `modelfleet.<key>` attributes on the current span; a no-op when it does not record.

    `annotate(tenant="payments", gpu_device_ids=[0, 1], run_id=None)` sets
    `modelfleet.tenant` and `modelfleet.gpu_device_ids`; None is skipped.
    """
    span = trace.get_current_span()
    if not span.is_recording():
        return
    values = {PREFIX + key: coerce(value) for key, value in attributes.items()}
    span.set_attributes({key: value for key, value in values.items() if value is not None})


def current_trace_id() -> str | None:
    """The 32-hex-digit id of the current span's trace when that span records, else None."""
    span = trace.get_current_span()
    span_context = span.get_span_context()
    if not span.is_recording() or not span_context.is_valid:
        return None
    return trace.format_trace_id(span_context.trace_id)

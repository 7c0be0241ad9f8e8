"""Building blocks shared by the tenant and model schemas."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict

from modelfleet.specs.errors import ValueProblem

IDENTIFIER = r"^[a-z][a-z0-9_]{1,39}$"
"""Tenant ids and model names: they become parts of DAG ids, pools and feature views."""

_DURATION = re.compile(r"^\s*(\d+)\s*([smhdw])\s*$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


class StrictModel(BaseModel):
    """Unknown keys are errors: a typo must never be silently ignored."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


def parse_duration(value: object) -> timedelta:
    """`90s`, `30m`, `6h`, `2d`, `1w` (or seconds as a number) -> timedelta."""
    if isinstance(value, timedelta):
        return value
    if isinstance(value, bool):
        raise ValueProblem(f"{value!r} is not a duration", "write a duration such as 30m, 6h or 2d")
    if isinstance(value, (int, float)):
        seconds = float(value)
    else:
        match = _DURATION.match(str(value))
        if not match:
            raise ValueProblem(f"{value!r} is not a duration", "write a duration such as 30m, 6h or 2d")
        seconds = int(match.group(1)) * _UNIT_SECONDS[match.group(2)]
    if seconds <= 0:
        raise ValueProblem(f"{value!r} is not a positive duration", "use a duration above zero, e.g. 30m")
    return timedelta(seconds=seconds)


Duration = Annotated[timedelta, BeforeValidator(parse_duration)]

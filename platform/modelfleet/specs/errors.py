"""Spec errors that name the file, the field and the fix.

A spec is written by a model team, so every error must be actionable by that
team without reading platform code: which file, which field (dotted path as
written in YAML), what is wrong, and what to do about it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError


@dataclass(frozen=True)
class SpecProblem:
    """One problem in one spec file."""

    file: str
    field: str
    message: str
    fix: str

    def __str__(self) -> str:
        where = f"{self.file}: {self.field}" if self.field else self.file
        return f"{where}: {self.message} (fix: {self.fix})"


class SpecError(Exception):
    """A spec file is invalid; carries every problem found in it."""

    def __init__(self, problems: list[SpecProblem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(problem) for problem in problems))


def problem(file: str | Path, field: str, message: str, fix: str) -> SpecProblem:
    return SpecProblem(file=str(file), field=field, message=message, fix=fix)


def _dotted(loc: tuple[Any, ...]) -> str:
    """`("training", "resources", "gpus")` -> `training.resources.gpus`; list items as `[i]`."""
    out = ""
    for part in loc:
        if isinstance(part, str) and ("[" in part or "(" in part):
            continue  # pydantic's name of a union member, not a key the author wrote
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def _allowed_keys(model: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    """The keys a mapping at `loc` (the parent of an unknown key) accepts."""
    current: Any = model
    for part in loc:
        if isinstance(part, int) or not (isinstance(current, type) and issubclass(current, BaseModel)):
            continue
        field = current.model_fields.get(str(part))
        if field is None:
            return []
        current = _innermost_model(field.annotation)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return sorted(f.alias or name for name, f in current.model_fields.items())
    return []


def _innermost_model(annotation: Any) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()) or ():
        found = _innermost_model(arg)
        if found is not None:
            return found
    return None


RETIRED_KEYS: dict[str, tuple[str, str]] = {
    "deployment.smoke_test": ("was removed: every deploy is smoke-tested before the champion moves",
                              "delete the line; nothing turns the smoke test off"),
    "features.entity": ("was removed: each join key is a Feast entity (<team>__<key>)",
                        "delete the line; features.join_keys says the same"),
}
"""Keys that once existed and meant nothing: a spec that still has one is told why it went, not just 'unknown'."""


def _fix_for(error: dict[str, Any], model: type[BaseModel]) -> str:
    kind = error["type"]
    retired = RETIRED_KEYS.get(_dotted(error["loc"])) if kind == "extra_forbidden" else None
    if retired:
        return retired[1]
    loc = error["loc"]
    field = _dotted(loc)
    ctx = error.get("ctx") or {}
    if kind == "extra_forbidden":
        allowed = _allowed_keys(model, loc[:-1])
        hint = f"; allowed keys here: {', '.join(allowed)}" if allowed else ""
        return f"remove `{loc[-1]}` or correct its spelling{hint}"
    if kind == "missing":
        return f"add `{field}` (see docs/tenants.md for its meaning)"
    if kind in ("literal_error", "enum"):
        return f"use one of: {ctx.get('expected', 'the documented values')}"
    if kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        return f"give a value that is {error['msg'].removeprefix('Input should be ')}"
    if kind.startswith("int") or kind.startswith("float"):
        return "give a number"
    if kind == "string_pattern_mismatch":
        return "use lowercase letters, digits and '_', starting with a letter (2-40 characters)"
    if kind.startswith("string"):
        return "give a text value"
    if kind.startswith("list"):
        return "give a YAML list (`- item` lines)"
    if kind in ("model_type", "dict_type", "model_attributes_type"):
        return "give a mapping (`key: value` lines)"
    if kind.startswith("bool"):
        return "give true or false"
    if kind == "value_error":
        reason = ctx.get("error")
        if isinstance(reason, ValueProblem):
            return reason.fix
    return "correct the value as described"


def _message_for(error: dict[str, Any]) -> str:
    ctx = error.get("ctx") or {}
    reason = ctx.get("error")
    if isinstance(reason, ValueProblem):
        return reason.message
    if error["type"] == "extra_forbidden":
        retired = RETIRED_KEYS.get(_dotted(error["loc"]))
        return retired[0] if retired else "unknown key"
    if error["type"] == "missing":
        return "required key is missing"
    got = error.get("input")
    shown = repr(got) if not isinstance(got, (dict, list)) else type(got).__name__
    return f"{error['msg']} (got {shown[:80]})"


def from_validation_error(
    file: str | Path, error: ValidationError, model: type[BaseModel]
) -> list[SpecProblem]:
    """Translate pydantic's errors into problems a spec author can act on."""
    return [
        problem(file, _dotted(e["loc"]), _message_for(e), _fix_for(e, model))  # type: ignore[arg-type]
        for e in error.errors(include_url=False)
    ]


class ValueProblem(ValueError):
    """Raised inside validators: a message plus the fix, kept apart for reporting."""

    def __init__(self, message: str, fix: str) -> None:
        super().__init__(message)
        self.message = message
        self.fix = fix

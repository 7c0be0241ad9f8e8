"""Platform-owned configuration files (infra/*.yaml): parsed once per file version, errors naming the file.

The DAG processor loads the fleet on every parse, so a platform file is read
again only when its modification time changes. A file that cannot be read
or parsed raises SpecError with the file, the field and the fix.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel

from modelfleet import paths
from modelfleet.specs.errors import SpecError, problem

ModelT = TypeVar("ModelT", bound=BaseModel)


def shown_path(path: Path) -> str:
    """`infra/capacity.yaml` when it lies in the repository, else the full path."""
    try:
        return str(path.resolve().relative_to(paths.repo_root()))
    except ValueError:
        return str(path)


def load_platform_file(path: Path, model: type[ModelT], missing_fix: str) -> ModelT:
    """`path` parsed into `model`; SpecError naming the file (and `missing_fix` when it cannot be read)."""
    path = path.resolve()
    try:
        stamp = path.stat().st_mtime_ns
    except OSError as exc:
        raise SpecError([problem(shown_path(path), "", f"cannot be read: {exc}", missing_fix)]) from None
    return _parse(path, stamp, model)


@functools.lru_cache(maxsize=16)
def _parse(path: Path, stamp: int, model: type[ModelT]) -> ModelT:
    from modelfleet.specs.loader import build, read_yaml  # the loader imports this module's users

    shown = shown_path(path)
    data, problems = read_yaml(path, shown)
    if data is None:
        raise SpecError(problems)
    parsed, problems = build(model, data, shown)
    if parsed is None:
        raise SpecError(problems)
    return parsed

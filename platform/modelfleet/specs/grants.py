"""`infra/data_grants.yaml`: the absolute and S3 data roots the platform grants to each tenant.

A team may claim its own folder under the fleet data root in its tenant.yaml
(`data_root: <team>`); anything else it reads must have been granted here,
in a platform-owned file, so every tenant's reach is checkable from its own
files plus platform configuration, never by comparing two teams' files.
Granted roots of different tenants never overlap.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, StringConstraints, field_validator

from modelfleet import paths
from modelfleet.specs.common import IDENTIFIER, StrictModel
from modelfleet.specs.errors import SpecError, SpecProblem, ValueProblem
from modelfleet.specs.platform_files import load_platform_file, shown_path

S3 = "s3://"
GRANTS_FIX = "create it (see docs/operators.md, 'Granting a data root') or set MODELFLEET_DATA_GRANTS_FILE"


@dataclass(frozen=True)
class Root:
    """A data root as compared: `s3` (bucket, key parts) or `file` (the parts of an absolute path)."""

    scheme: Literal["s3", "file"]
    parts: tuple[str, ...]

    def contains(self, other: Root) -> bool:
        """`other` is this root or lies under it (whole path parts: s3://b/pay does not contain s3://b/payments)."""
        return self.scheme == other.scheme and other.parts[: len(self.parts)] == self.parts

    def overlaps(self, other: Root) -> bool:
        return self.contains(other) or other.contains(self)

    def __str__(self) -> str:
        return S3 + "/".join(self.parts) if self.scheme == "s3" else "/" + "/".join(self.parts)


def parse_root(text: str) -> Root:
    """An absolute path or an s3://bucket[/prefix] URI; ValueProblem for anything else or a '..'."""
    if not text.isprintable():
        raise ValueProblem(f"{text!r} contains a control character (a line break, a tab)", "write the root on one line, without control characters")
    if text.startswith(S3):
        parts = tuple(text[len(S3):].rstrip("/").split("/"))
        if not parts[0] or any(part in ("", ".", "..") for part in parts):
            raise ValueProblem(f"{text!r} is not an s3://bucket/prefix URI", "write s3://<bucket>/<prefix> without '.', '..' or '//'")
        return Root("s3", parts)
    path = PurePosixPath(text)
    if not path.is_absolute() or "://" in text:
        raise ValueProblem(f"{text!r} is neither an absolute path nor an s3:// URI", "write /absolute/path or s3://<bucket>/<prefix>")
    if ".." in path.parts:
        raise ValueProblem(f"{text!r} climbs with '..'", "write the path without '..'")
    return Root("file", path.parts[1:])


GrantedRoot = Annotated[str, StringConstraints(min_length=1), AfterValidator(lambda text: str(parse_root(text)))]
TenantId = Annotated[str, StringConstraints(pattern=IDENTIFIER)]


class DataGrants(StrictModel):
    """Tenant id -> the roots it may use as `data_root` (or a folder under one)."""

    grants: dict[TenantId, list[GrantedRoot]] = Field(default_factory=dict)

    @field_validator("grants")
    @classmethod
    def _no_shared_roots(cls, grants: dict[str, list[str]]) -> dict[str, list[str]]:
        owned = [(tid, parse_root(text)) for tid, roots in sorted(grants.items()) for text in roots]
        for index, (tid, root) in enumerate(owned):
            for other, other_root in owned[index + 1:]:
                if other != tid and root.overlaps(other_root):
                    raise ValueProblem(f"{root} (granted to {tid}) and {other_root} (granted to {other}) overlap",
                                       "grant each tenant roots no other tenant's root contains or lies inside")
        return grants

    def roots_for(self, tenant_id: str) -> list[Root]:
        return [parse_root(text) for text in self.grants.get(tenant_id, [])]


@dataclass(frozen=True)
class GrantsView:
    """The grants as loading sees them: the grants, or why they could not be read; `shown` names the file."""

    grants: DataGrants | None
    problems: list[SpecProblem]
    shown: str

    @classmethod
    def load(cls) -> GrantsView:
        path = paths.data_grants_file()
        try:
            return cls(load_platform_file(path, DataGrants, GRANTS_FIX), [], shown_path(path))
        except SpecError as exc:
            return cls(None, exc.problems, shown_path(path))

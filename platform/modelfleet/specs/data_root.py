"""A tenant's `data_root` is its own: checked from its tenant.yaml, the fleet data root and the platform's grants.

No rule compares two tenants' files: such a rule cannot tell which team is
at fault. A relative root is the team's own folder by name; anything else
must be granted to it by the platform in infra/data_grants.yaml.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from modelfleet.specs.errors import SpecProblem, ValueProblem, problem
from modelfleet.specs.grants import S3, GrantsView, Root, parse_root
from modelfleet.specs.tenant import TenantSpec


def data_root_problems(file: str, tenant: TenantSpec, fleet_data_root: Path, grants: GrantsView) -> list[SpecProblem]:
    """Why the tenant's `data_root` is not its own; empty when it is.

    Relative: `<tenant id>` or a folder under it, resolved under the fleet data
    root, with no '..' and no symlink leading out of `<fleet data root>/<tenant id>`.
    Absolute or s3://: the root (or a folder under it) must be granted to the
    tenant in infra/data_grants.yaml; a local one may not overlap the fleet
    data root, whose folders belong to the tenants named by them.
    """
    raw = tenant.data_root
    own = f"set data_root: {tenant.id} (your folder under the fleet data root)"
    if raw.startswith(S3) or raw.startswith("/"):
        try:
            root = parse_root(raw)
        except ValueProblem as exc:
            return [problem(file, "data_root", exc.message, f"{own}, or {exc.fix}")]
        return _granted_root_problems(file, tenant, root, fleet_data_root, grants)
    parts = PurePosixPath(raw).parts
    if not raw.isprintable():
        return [problem(file, "data_root", f"{raw!r} contains a control character (a line break, a tab)", own)]
    if "://" in raw:
        return [problem(file, "data_root", f"{raw!r}: only s3:// URIs, absolute paths and relative folders are data roots", own)]
    if ".." in parts:
        return [problem(file, "data_root", f"{raw!r} climbs out of the team's folder with '..'", own)]
    if not parts or parts[0] != tenant.id:
        return [problem(file, "data_root", f"{raw!r} is not this team's folder: a relative data_root is {tenant.id!r} or a folder under it",
                        f"{own}; to read elsewhere, ask platform on-call for a grant in {grants.shown}")]
    fleet = fleet_data_root.resolve()
    real = (fleet / raw).resolve()  # follows symlinks
    if not real.is_relative_to(fleet / tenant.id):
        return [problem(file, "data_root", f"{raw!r} is a symlink that leads to {real}, outside the team's folder {fleet / tenant.id}",
                        f"remove the link; to keep data elsewhere, ask platform on-call to grant that root in {grants.shown}")]
    return []


def _granted_root_problems(file: str, tenant: TenantSpec, root: Root, fleet_data_root: Path, grants: GrantsView) -> list[SpecProblem]:
    if grants.grants is None:  # the platform's file is broken: nothing outside the team's folder can be allowed
        return [problem(file, "data_root", f"{tenant.data_root!r} cannot be checked: {grants.shown} is invalid",
                        f"platform on-call fixes {grants.shown} (see `modelfleet validate`)"), *grants.problems]
    granted = grants.grants.roots_for(tenant.id)
    ask = f"set data_root: {tenant.id}, or ask platform on-call to grant {root} to {tenant.id} in {grants.shown}"
    if root.scheme == "s3":
        if not any(g.contains(root) for g in granted):
            return [problem(file, "data_root", f"{root} is not granted to tenant {tenant.id!r} ({_listed(granted)})", ask)]
        return []
    real = Path(str(root)).resolve()  # follows symlinks: a granted path linking elsewhere reaches elsewhere
    inside = [g for g in granted if g.scheme == "file" and real.is_relative_to(Path(str(g)).resolve())]
    if not inside:
        how = f" (a symlink leading to {real})" if real != Path(str(root)) else ""
        return [problem(file, "data_root", f"{root}{how} is not granted to tenant {tenant.id!r} ({_listed(granted)})", ask)]
    fleet = fleet_data_root.resolve()
    if real.is_relative_to(fleet) or fleet.is_relative_to(real):
        return [problem(file, "data_root", f"{root} overlaps the fleet data root {fleet}, whose folders are the tenants' own",
                        f"set data_root: {tenant.id}; platform on-call: grant roots outside the fleet data root")]
    return []


def _listed(granted: list[Root]) -> str:
    return f"granted: {', '.join(map(str, granted))}" if granted else "nothing is granted to it"

"""infra/data_grants.yaml: platform-owned grants, checked on their own and read once per file version."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

from modelfleet.specs.errors import SpecError
from modelfleet.specs.grants import DataGrants, GrantsView, parse_root
from modelfleet.specs.loader import load_fleet
from modelfleet.specs.platform_files import load_platform_file

REPO = Path(__file__).resolve().parents[4]


def _load(path: Path) -> DataGrants:
    return load_platform_file(path, DataGrants, "create it")


def test_the_repositorys_grants_file_is_valid() -> None:
    assert isinstance(_load(REPO / "infra" / "data_grants.yaml"), DataGrants)


@pytest.mark.parametrize(
    ("grants", "field", "needle"),
    [
        pytest.param({"a": ["s3://x"]}, "grants.a", "String should match pattern", id="bad-tenant-id"),
        pytest.param({"acme": ["data/acme"]}, "grants.acme[0]", "is neither an absolute path nor an s3:// URI", id="relative"),
        pytest.param({"acme": ["/srv/../etc"]}, "grants.acme[0]", "climbs with '..'", id="dotdot"),
        pytest.param({"acme": ["s3://"]}, "grants.acme[0]", "is not an s3://bucket/prefix URI", id="no-bucket"),
        pytest.param({"acme": ["s3://lake/acme"], "globex": ["s3://lake"]}, "grants",
                     "s3://lake/acme (granted to acme) and s3://lake (granted to globex) overlap", id="overlap"),
        pytest.param({"acme": "s3://lake"}, "grants.acme", "give a YAML list", id="not-a-list"),
    ],
)
def test_a_bad_grant_names_file_field_and_fix(tmp_path: Path, grants: dict, field: str, needle: str) -> None:
    path = tmp_path / "data_grants.yaml"
    path.write_text(yaml.safe_dump({"grants": grants}))
    with pytest.raises(SpecError) as caught:
        _load(path)
    [problem] = [p for p in caught.value.problems if needle in str(p)]
    assert (problem.file, problem.field) == (str(path), field) and problem.fix


def test_one_tenant_may_hold_nested_roots_and_prefixes_compare_by_whole_parts(tmp_path: Path) -> None:
    path = tmp_path / "data_grants.yaml"
    path.write_text(yaml.safe_dump({"grants": {"acme": ["s3://lake/acme/", "s3://lake/acme/raw"], "acme2": ["s3://lake/acme2"]}}))
    grants = _load(path)
    assert [str(r) for r in grants.roots_for("acme")] == ["s3://lake/acme", "s3://lake/acme/raw"]
    assert not parse_root("s3://lake/acme").contains(parse_root("s3://lake/acme2"))
    assert grants.roots_for("nobody") == []


def test_edits_are_read_on_the_next_load(tmp_path: Path) -> None:
    path = tmp_path / "data_grants.yaml"
    path.write_text("grants: {}\n")
    assert _load(path) is _load(path)  # cached while the file is unchanged
    path.write_text("grants: {acme: [s3://lake]}\n")
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 1_000_000))
    assert [str(r) for r in _load(path).roots_for("acme")] == ["s3://lake"]


def test_a_broken_grants_file_breaks_only_teams_that_need_a_grant(
    fleet_dir: Path, data_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MODELFLEET_DATA_GRANTS_FILE", str(tmp_path / "missing.yaml"))
    assert GrantsView.load().grants is None
    fleet = load_fleet(fleet_dir, data_root)
    assert len(fleet.pipelines) == 3  # relative roots need no grant
    assert [p.file for p in fleet.problems] == [str(tmp_path / "missing.yaml")]  # but validate reports the file

    path = fleet_dir / "globex" / "tenant.yaml"
    path.write_text(path.read_text().replace("data_root: globex", "data_root: s3://globex-lake"))
    fleet = load_fleet(fleet_dir, data_root)
    assert {b.dag_id for b in fleet.broken} == {"globex__fraud"}
    why = {str(p) for p in fleet.broken[0].problems}
    assert any("tenants/globex/tenant.yaml: data_root: 's3://globex-lake' cannot be checked" in p for p in why)
    assert any("missing.yaml: cannot be read" in p and "MODELFLEET_DATA_GRANTS_FILE" in p for p in why)

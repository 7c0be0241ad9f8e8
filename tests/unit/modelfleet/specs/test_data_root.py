"""A tenant's data_root is checked from its own tenant.yaml plus platform files: only that team pays for a bad one."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from modelfleet.specs.loader import load_fleet


@pytest.fixture
def grants(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A grants file of this test's own: globex holds an S3 prefix and a local folder."""
    path = tmp_path / "data_grants.yaml"
    path.write_text(yaml.safe_dump({"grants": {"globex": ["s3://globex-lake/raw", str(tmp_path / "globex-exports")]}}))
    monkeypatch.setenv("MODELFLEET_DATA_GRANTS_FILE", str(path))
    return path


def _set_root(fleet_dir: Path, tenant_id: str, root: str) -> None:
    path = fleet_dir / tenant_id / "tenant.yaml"
    tenant = yaml.safe_load(path.read_text())
    tenant["data_root"] = root
    path.write_text(yaml.safe_dump(tenant))


def _only_acme_broken(fleet_dir: Path, data_root: Path) -> str:
    """The verdict on acme: its pipelines broken, globex's intact, every problem in tenants/acme/; the problems, rendered."""
    fleet = load_fleet(fleet_dir, data_root)
    assert {p.dag_id for p in fleet.pipelines} == {"globex__fraud"}
    assert {b.dag_id for b in fleet.broken} == {"acme__fraud", "acme__churn"}
    assert {p.file for p in fleet.all_problems} == {"tenants/acme/tenant.yaml", "tenants/acme/models/fraud.yaml", "tenants/acme/models/churn.yaml"}
    [why] = fleet.problems
    assert why.field == "data_root"
    # the placeholder DAG carries the reason, not only "fix tenant.yaml first"
    assert why in next(b for b in fleet.broken if b.dag_id == "acme__fraud").problems
    return str(why)


@pytest.mark.parametrize(
    ("root", "needle"),
    [
        pytest.param("globex", "'globex' is not this team's folder: a relative data_root is 'acme' or a folder under it", id="other-team"),
        pytest.param("globex/tx", "is not this team's folder", id="inside-other-team"),
        pytest.param(".", "is not this team's folder", id="the-whole-fleet"),
        pytest.param("acme/../globex", "climbs out of the team's folder with '..'", id="dotdot"),
        pytest.param("/srv/data", "/srv/data is not granted to tenant 'acme' (nothing is granted to it)", id="absolute-not-granted"),
        pytest.param("s3://globex-lake/raw/tx", "s3://globex-lake/raw/tx is not granted to tenant 'acme'", id="s3-granted-to-another"),
        pytest.param("s3://acme-lake", "s3://acme-lake is not granted to tenant 'acme' (nothing is granted to it)", id="s3-not-granted"),
        pytest.param("s3://acme-lake/../x", "is not an s3://bucket/prefix URI", id="s3-dotdot"),
        pytest.param("gs://acme-lake", "only s3:// URIs, absolute paths and relative folders", id="other-scheme"),
        pytest.param("acme\nglobex", "contains a control character", id="control-character"),
        pytest.param("s3://acme-lake/\tx", "contains a control character", id="s3-control-character"),
    ],
)
def test_a_root_that_is_not_the_teams_own_breaks_only_that_team(fleet_dir: Path, data_root: Path, grants: Path, root: str, needle: str) -> None:
    _set_root(fleet_dir, "acme", root)
    rendered = _only_acme_broken(fleet_dir, data_root)
    assert needle in rendered
    assert "(fix: set data_root: acme" in rendered


def test_own_folder_sub_folders_and_granted_roots_load(fleet_dir: Path, data_root: Path, grants: Path, tmp_path: Path) -> None:
    _set_root(fleet_dir, "acme", "acme/v2")
    for root in ("s3://globex-lake/raw", "s3://globex-lake/raw/2026/", str(tmp_path / "globex-exports" / "daily")):
        _set_root(fleet_dir, "globex", root)
        fleet = load_fleet(fleet_dir, data_root)
        assert fleet.all_problems == [], root
    globex = next(p for p in fleet.pipelines if p.dag_id == "globex__fraud")
    assert globex.data_path == str(tmp_path / "globex-exports" / "daily" / "tx" / "{ds}.parquet")
    acme = next(p for p in fleet.pipelines if p.dag_id == "acme__fraud")
    assert acme.data_path == str(data_root / "acme" / "v2" / "tx" / "{ds}.parquet")


def test_a_prefix_is_not_a_folder(fleet_dir: Path, data_root: Path, grants: Path) -> None:
    """s3://globex-lake/raw is granted; s3://globex-lake/rawdata is not under it."""
    _set_root(fleet_dir, "globex", "s3://globex-lake/rawdata")
    fleet = load_fleet(fleet_dir, data_root)
    assert {b.dag_id for b in fleet.broken} == {"globex__fraud"}


@pytest.mark.parametrize("linked", ["acme", "acme/shared"], ids=["team-folder", "sub-folder"])
def test_a_symlink_leading_out_of_the_teams_folder_is_refused(fleet_dir: Path, data_root: Path, grants: Path, linked: str) -> None:
    (data_root / "globex").mkdir()
    (data_root / linked).parent.mkdir(parents=True, exist_ok=True)
    (data_root / linked).symlink_to(data_root / "globex")
    _set_root(fleet_dir, "acme", linked)
    rendered = _only_acme_broken(fleet_dir, data_root)
    assert f"'{linked}' is a symlink that leads to {data_root.resolve() / 'globex'}, outside the team's folder" in rendered


def test_a_granted_local_root_may_not_link_out_nor_overlap_the_fleet_data_root(
    fleet_dir: Path, data_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    exports = tmp_path / "acme-exports"
    exports.mkdir()
    (exports / "sneaky").symlink_to(tmp_path / "elsewhere")
    path = tmp_path / "grants.yaml"
    path.write_text(yaml.safe_dump({"grants": {"acme": [str(exports), str(data_root / "shared")]}}))
    monkeypatch.setenv("MODELFLEET_DATA_GRANTS_FILE", str(path))
    _set_root(fleet_dir, "acme", str(exports / "sneaky"))
    assert f"(a symlink leading to {(tmp_path / 'elsewhere').resolve()}) is not granted" in _only_acme_broken(fleet_dir, data_root)
    _set_root(fleet_dir, "acme", str(data_root / "shared"))
    assert "overlaps the fleet data root" in _only_acme_broken(fleet_dir, data_root)

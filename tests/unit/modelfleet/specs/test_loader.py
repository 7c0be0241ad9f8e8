"""Loading a fleet: valid specs become pipelines; each broken file costs only its own pipeline."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from modelfleet.specs.loader import load_fleet, load_pipeline
from modelfleet.specs.errors import SpecError


def test_valid_fleet_loads_every_pipeline(fleet_dir: Path, data_root: Path) -> None:
    fleet = load_fleet(fleet_dir, data_root)
    assert fleet.all_problems == []
    assert sorted(p.dag_id for p in fleet.pipelines) == ["acme__churn", "acme__fraud", "globex__fraud"]
    fraud = next(p for p in fleet.pipelines if p.dag_id == "acme__fraud")
    assert fraud.data_path == str(data_root / "acme" / "tx" / "{ds}.parquet")
    assert fraud.tenant.priority_weight == 100


def test_broken_model_removes_only_itself(fleet_dir: Path, data_root: Path) -> None:
    spec = yaml.safe_load((fleet_dir / "acme/models/churn.yaml").read_text())
    spec["training"]["resources"]["gpus"] = "two"
    (fleet_dir / "acme/models/churn.yaml").write_text(yaml.safe_dump(spec))
    fleet = load_fleet(fleet_dir, data_root)
    assert sorted(p.dag_id for p in fleet.pipelines) == ["acme__fraud", "globex__fraud"]
    [broken] = fleet.broken
    assert broken.dag_id == "acme__churn"
    [problem] = broken.problems
    assert (problem.file, problem.field) == ("tenants/acme/models/churn.yaml", "training.resources.gpus")
    assert "give a number" in problem.fix


def test_broken_tenant_file_removes_only_that_team(fleet_dir: Path, data_root: Path) -> None:
    (fleet_dir / "globex/tenant.yaml").write_text("id: globex\nname: [unclosed\n")
    fleet = load_fleet(fleet_dir, data_root)
    assert sorted(p.dag_id for p in fleet.pipelines) == ["acme__churn", "acme__fraud"]
    assert [b.dag_id for b in fleet.broken] == ["globex__fraud"]
    [problem] = fleet.problems
    assert problem.file == "tenants/globex/tenant.yaml"
    assert "not valid YAML at line 3" in problem.message and "at line 2" in problem.message


@pytest.mark.parametrize(
    ("mutate", "field", "needle"),
    [
        pytest.param(lambda s: s.update(colour="red"), "colour", "remove `colour`", id="unknown-key"),
        pytest.param(lambda s: s.pop("task"), "task", "add `task`", id="missing-key"),
        pytest.param(lambda s: s.update(framework="sklearn"), "framework", "'xgboost'", id="unknown-framework"),
        pytest.param(lambda s: s.update(schedule="61 * * * *"), "schedule", "five fields", id="bad-cron"),
        pytest.param(lambda s: s["evaluation"].update(metric="rmse"), "", "use one of: auc, f1", id="metric-task"),
        pytest.param(lambda s: s["data"].update(path="../globex/tx.parquet"), "data.path", "without '..'", id="climb-out"),
        pytest.param(lambda s: s["data"].update(path="/etc/passwd"), "data.path", "outside the team's data root", id="absolute"),
        pytest.param(lambda s: s["features"].update(views=["globex__tx"]), "features.views[0]", "ask the other team", id="other-view"),
        pytest.param(lambda s: s["training"]["resources"].update(device="gpu", gpus=2, gpu_class="a10g"), "training.resources.gpus",
                     "can hold at most 1 (nominal 1 + borrowing_limit 0)", id="over-quota"),
        pytest.param(lambda s: s["training"]["resources"].update(device="gpu", gpus=1, gpu_class="h100"), "training.resources.gpu_class",
                     "no host has GPU class 'h100' (fix: use one of ['a100', 'a10g']", id="unknown-gpu-class"),
        pytest.param(lambda s: s["training"]["resources"].update(device="gpu", gpus=3, gpu_class="a10g"), "training.resources.gpus",
                     "the largest a10g host holds 2", id="more-gpus-than-a-host"),
        pytest.param(lambda s: s["training"]["resources"].update(device="gpu", gpus=1, gpu_class="a100"), "training.resources.gpu_class",
                     "the team has no a100 quota", id="class-without-quota"),
        pytest.param(lambda s: s["training"]["resources"].update(device="gpu", gpus=1), "training.resources.gpu_class",
                     "a GPU task must name its GPU class", id="gpu-without-class"),
        pytest.param(lambda s: s["data"].update(generator="globex.datagen:tx"), "data.generator", "tenants/acme/", id="other-code"),
        pytest.param(lambda s: s.update(name="other"), "name", "rename the file", id="name-mismatch"),
        pytest.param(lambda s: s.update(deployment={"target": "batch", "smoke_test": False}), "deployment.smoke_test",
                     "was removed: every deploy is smoke-tested before the champion moves (fix: delete the line", id="retired-smoke-test"),
        pytest.param(lambda s: s["features"].update(entity="card"), "features.entity",
                     "was removed: each join key is a Feast entity", id="retired-entity"),
        pytest.param(lambda s: s.update(deployment={"target": "online", "scoring_schedule": "@daily"}), "deployment",
                     "online models get no scoring DAG", id="online-with-scoring-schedule"),
    ],
)
def test_each_mistake_names_file_field_and_fix(fleet_dir: Path, data_root: Path, mutate, field: str, needle: str) -> None:
    path = fleet_dir / "acme/models/fraud.yaml"
    spec = yaml.safe_load(path.read_text())
    mutate(spec)
    path.write_text(yaml.safe_dump(spec))
    fleet = load_fleet(fleet_dir, data_root)
    [broken] = [b for b in fleet.broken if b.dag_id == "acme__fraud"]
    rendered = "\n".join(str(p) for p in broken.problems)
    assert any(p.field == field for p in broken.problems), rendered
    assert needle in rendered
    assert rendered.startswith("tenants/acme/models/fraud.yaml")
    assert len(fleet.pipelines) == 2


def test_symlink_out_of_the_data_root_is_refused(fleet_dir: Path, data_root: Path, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (data_root / "acme").mkdir()
    (data_root / "acme" / "tx").symlink_to(outside)
    fleet = load_fleet(fleet_dir, data_root)
    [broken] = [b for b in fleet.broken if b.dag_id == "acme__fraud"]
    assert "symlink" in broken.problems[0].message


def test_connections_must_be_the_tenants_own(fleet_dir: Path, data_root: Path) -> None:
    tenant = yaml.safe_load((fleet_dir / "acme/tenant.yaml").read_text())
    tenant["alerts"]["slack_conn_id"] = "globex_slack"
    (fleet_dir / "acme/tenant.yaml").write_text(yaml.safe_dump(tenant))
    fleet = load_fleet(fleet_dir, data_root)
    assert "acme" not in fleet.tenants
    assert any("not this tenant's connection" in p.message for p in fleet.problems)


def test_load_pipeline_raises_spec_error_for_a_broken_spec(fleet_dir: Path) -> None:
    (fleet_dir / "acme/models/churn.yaml").write_text("- just\n- a list\n")
    with pytest.raises(SpecError, match="must be a mapping"):
        load_pipeline("acme", "churn", fleet_dir)
    assert load_pipeline("acme", "fraud", fleet_dir).dag_id == "acme__fraud"


def _set_quota(fleet_dir: Path, tenant_id: str, quota: dict) -> None:
    path = fleet_dir / tenant_id / "tenant.yaml"
    tenant = yaml.safe_load(path.read_text())
    tenant["gpu_quota"] = quota
    path.write_text(yaml.safe_dump(tenant))


def test_guarantees_above_capacity_are_named_in_every_tenant_file_that_holds_them(fleet_dir: Path, data_root: Path) -> None:
    _set_quota(fleet_dir, "acme", {"a10g": {"nominal": 3}})
    _set_quota(fleet_dir, "globex", {"a10g": {"nominal": 2}})
    fleet = load_fleet(fleet_dir, data_root)
    over = [p for p in fleet.problems if p.field == "gpu_quota.a10g.nominal"]
    assert [p.file for p in over] == ["tenants/acme/tenant.yaml", "tenants/globex/tenant.yaml"]
    assert "the teams' guaranteed a10g GPUs add up to 5 (acme 3, globex 2) but the fleet has 4" in str(over[0])
    assert "lower nominal quotas to a total of 4, or add a10g hosts" in str(over[0])
    assert len(fleet.pipelines) == 3  # every pipeline still loads: pools sync refuses the config instead


def test_a_quota_for_a_class_the_fleet_lacks_and_a_lending_limit_above_nominal(fleet_dir: Path, data_root: Path) -> None:
    _set_quota(fleet_dir, "acme", {"a10g": {"nominal": 1}, "h100": {"nominal": 1}})
    fleet = load_fleet(fleet_dir, data_root)
    assert [str(p) for p in fleet.problems] == [
        "tenants/acme/tenant.yaml: gpu_quota.h100: no host has GPU class 'h100' "
        "(fix: use one of ['a100', 'a10g'] (infra/capacity.yaml))"]
    _set_quota(fleet_dir, "acme", {"a10g": {"nominal": 1, "lending_limit": 2}})
    fleet = load_fleet(fleet_dir, data_root)
    assert any("lending_limit 2 is above nominal 1" in str(p) for p in fleet.problems)
    assert {b.dag_id for b in fleet.broken} == {"acme__fraud", "acme__churn"}


def test_a_malformed_capacity_file_breaks_only_gpu_pipelines(fleet_dir: Path, data_root: Path, monkeypatch) -> None:
    gpu = fleet_dir / "acme/models/fraud.yaml"
    spec = yaml.safe_load(gpu.read_text())
    spec["training"]["resources"] = {"device": "gpu", "gpus": 1, "gpu_class": "a10g"}
    gpu.write_text(yaml.safe_dump(spec))
    broken = fleet_dir.parent / "bad-capacity.yaml"
    broken.write_text("gpu_classes: {a10g: x}\nhosts:\n  g1: {a10g: [0, 0]}\n")
    monkeypatch.setenv("MODELFLEET_CAPACITY_FILE", str(broken))
    fleet = load_fleet(fleet_dir, data_root)
    assert {b.dag_id for b in fleet.broken} == {"acme__fraud"}
    assert {p.dag_id for p in fleet.pipelines} == {"acme__churn", "globex__fraud"}
    [problem] = fleet.broken[0].problems
    assert problem.file.endswith("bad-capacity.yaml") and "lists a device id twice" in str(problem)

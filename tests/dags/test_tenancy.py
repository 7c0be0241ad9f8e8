"""Tenancy as the DAG processor and `modelfleet validate` see it: one team's edits cost only that team.

Both read the specs through one code path (modelfleet.specs.loader.load_fleet),
so every rule is written once; these tests hold the two views to the same
verdict on a private copy of the real tenants folder: Airflow's DagBag over
dags/, and the `modelfleet validate` command run in-process.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st
from support.spec_edits import junk, key_paths, parent_of
from support.tenant_copy import REPO, use_tenant_copy

from modelfleet.specs.loader import dag_id_for

PROBLEM = re.compile(r"^(?:error )?(\S+\.ya?ml: .*)$")
"""A problem's first line, as both sides print it: `<file>: <field>: <message> (fix: <fix>)`."""


@dataclass(frozen=True)
class Verdict:
    """What one side says: how many pipelines of each tenant are broken, and every problem (its first line)."""

    broken: dict[str, int]
    problems: frozenset[str]

    @property
    def files(self) -> set[str]:
        return {p.split(": ", 1)[0] for p in self.problems}


def validate_verdict(capsys: pytest.CaptureFixture[str]) -> tuple[int, Verdict]:
    """`modelfleet validate` as a person runs it: the exit code, its table's broken column and its `error` lines."""
    from modelfleet.cli.main import main

    capsys.readouterr()
    code = main(["validate"])
    out = capsys.readouterr().out
    assert "Traceback" not in out
    broken: dict[str, int] = {}
    for line in out.splitlines():
        cells = [c.strip() for c in line.strip().strip("│").split("│")]
        if len(cells) == 4 and cells[1].isdigit() and cells[3].isdigit() and int(cells[3]):
            broken[cells[0]] = int(cells[3])
    problems = frozenset(m[1] for line in out.splitlines() if line.startswith("error ") and (m := PROBLEM.match(line)))
    return code, Verdict(broken, problems)


DagShape = tuple[bool, tuple[tuple[Any, ...], ...]]


def dag_processor_verdict() -> tuple[dict[str, DagShape], set[str], Verdict]:
    """Airflow's DagBag over dags/: every DAG's shape (broken?, tasks with wiring, pool, weight, queue),
    the broken model pipelines, and the verdict the placeholders carry."""
    from airflow.dag_processing.dagbag import DagBag

    from modelfleet.dag_factory.placeholder import BROKEN_TAG

    bag = DagBag(dag_folder=str(REPO / "dags"))
    assert bag.import_errors == {}  # a bad spec never costs a DAG file
    shapes = {
        dag_id: (BROKEN_TAG in dag.tags, tuple(sorted(
            (t.task_id, tuple(sorted(t.downstream_task_ids)), t.pool, t.pool_slots, t.priority_weight, t.queue) for t in dag.tasks
        )))
        for dag_id, dag in bag.dags.items()
    }
    placeholders = [dag for dag in bag.dags.values() if BROKEN_TAG in dag.tags]
    problems = frozenset(m[1] for dag in placeholders for line in dag.get_task("spec_error").message.splitlines() if (m := PROBLEM.match(line)))
    broken = {dag.dag_id for dag in placeholders if is_pipeline(dag.dag_id)}
    return shapes, broken, Verdict(dict(Counter(owner(d) for d in broken)), problems)


def owner(dag_id: str) -> str:
    return dag_id.split("__", 1)[0]


def is_pipeline(dag_id: str) -> bool:
    """A model pipeline's DAG, not a team's feature DAG nor a scoring DAG (`features` is a reserved model name)."""
    return dag_id.count("__") == 1 and not dag_id.endswith("__features")


# --- Point 5: the same hostile edits through both, the same verdict. ---

Edit = Callable[[Path, Path, Path], None]
"""(tenants copy, fleet data root, scratch folder) -> None: one hostile change by the payments team."""


def _tenant_yaml(tenants: Path, **changes: Any) -> None:
    path = tenants / "payments" / "tenant.yaml"
    path.write_text(yaml.safe_dump({**yaml.safe_load(path.read_text()), **changes}, sort_keys=False))


def _symlink_root(tenants: Path, data: Path, scratch: Path) -> None:
    (data / "lending").mkdir(parents=True)
    (data / "payments").symlink_to(data / "lending")  # tenant.yaml unchanged: data_root: payments


def _model_reads_lending(tenants: Path, data: Path, scratch: Path) -> None:
    path = tenants / "payments" / "models" / "card_fraud.yaml"
    spec = yaml.safe_load(path.read_text())
    spec["data"]["path"] = "../lending/loan_applications/{ds}.parquet"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))


HOSTILE: list[Any] = [
    pytest.param(lambda t, d, s: _tenant_yaml(t, data_root="lending"), "data_root", id="another-teams-folder"),
    pytest.param(lambda t, d, s: _tenant_yaml(t, data_root="payments/../lending"), "data_root", id="dotdot"),
    pytest.param(lambda t, d, s: _tenant_yaml(t, data_root=str(s / "lending-exports")), "data_root", id="absolute-granted-to-another"),
    pytest.param(lambda t, d, s: _tenant_yaml(t, data_root="/srv/payments"), "data_root", id="absolute-not-granted"),
    pytest.param(lambda t, d, s: _tenant_yaml(t, data_root="s3://lending-lake/raw"), "data_root", id="s3-granted-to-another"),
    pytest.param(lambda t, d, s: _tenant_yaml(t, data_root="s3://payments-lake"), "data_root", id="s3-not-granted"),
    pytest.param(_symlink_root, "data_root", id="symlinked-data-root"),
    pytest.param(_model_reads_lending, "data.path", id="model-path-into-another-team"),
]


@pytest.fixture
def fleet_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """Every real tenant, copied; a data root and a grants file of this test's own (lending holds an S3 prefix and a folder)."""
    tenants, state = use_tenant_copy(tmp_path, monkeypatch, tenant=None)
    grants = tmp_path / "data_grants.yaml"
    grants.write_text(yaml.safe_dump({"grants": {"lending": ["s3://lending-lake", str(tmp_path / "lending-exports")]}}))
    monkeypatch.setenv("MODELFLEET_DATA_GRANTS_FILE", str(grants))
    return tenants, state / "data"


@pytest.mark.parametrize(("edit", "field"), HOSTILE)
def test_validate_and_the_dag_processor_give_the_same_verdict(
    fleet_copy: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str], edit: Edit, field: str
) -> None:
    tenants, data = fleet_copy
    before, none_broken, _ = dag_processor_verdict()
    assert validate_verdict(capsys)[0] == 0 and none_broken == set()

    edit(tenants, data, tmp_path)
    code, validated = validate_verdict(capsys)
    after, broken, processed = dag_processor_verdict()

    assert code == 1
    assert processed == validated  # as many pipelines broken per team, for the same reasons in the same words
    payments = {d for d in before if owner(d) == "payments" and is_pipeline(d)}
    assert broken == ({"payments__card_fraud"} if field == "data.path" else payments) and len(payments) >= 5
    named = {f for f in validated.files if f.startswith("tenants/payments/models/")}
    assert named == {f"tenants/payments/models/{d.split('__')[1]}.yaml" for d in broken}  # validate names each, and no other
    # only the hostile team's files are named, and the reason sits in the file it changed
    assert all(f.startswith("tenants/payments/") for f in validated.files), validated.files
    blamed = "tenants/payments/models/card_fraud.yaml" if field == "data.path" else "tenants/payments/tenant.yaml"
    assert any(p.startswith(f"{blamed}: {field}: ") for p in validated.problems), validated.problems
    # every other team's DAGs are exactly as they were
    others = {d: s for d, s in before.items() if owner(d) != "payments"}
    assert {d: after.get(d) for d in others} == others


# --- Point 6: generated edits to one tenant's files never change another tenant's DAGs. ---

TENANTS = sorted(p.parent.name for p in (REPO / "tenants").glob("*/tenant.yaml"))
QUOTA = re.compile(r"^tenants/\w+/tenant\.yaml: gpu_quota\.\w+(\.nominal)?: (no host has GPU class|the teams' guaranteed)")
"""Quota rules over the whole fleet (docs/gpu-sharing.md): reported by validate, no DAG changes, `pools sync` refuses the config."""
OVERCOMMIT = re.compile(r"^tenants/\w+/tenant\.yaml: gpu_quota\.\w+\.nominal: the teams' guaranteed \w+ GPUs add up to ")
"""The one rule that still sums over teams: guarantees above capacity are named in every holder's tenant.yaml
(all platform-approved, see CODEOWNERS)."""


def _hostile_values(tenant: str, other: str, target: str) -> list[tuple[tuple[Any, ...], Any]]:
    """(key path, value) edits aimed at another team's data, views, code, assets, connections or the GPUs."""
    if target == "tenant.yaml":
        return [
            (("data_root",), other), (("data_root",), f"{other}/raw"), (("data_root",), f"../{other}"),
            (("data_root",), f"{tenant}/../{other}"), (("data_root",), "."), (("data_root",), "/"),
            (("data_root",), "s3://lending-lake"), (("data_root",), f"{tenant}/v2"), (("id",), other),
            (("alerts",), {"slack_conn_id": f"{other}_slack"}), (("gpu_quota",), {"a10g": {"nominal": 99}}),
            (("gpu_quota",), {"h100": {"nominal": 1}}), (("allowed_queues",), ["gpu"]), (("priority_tier",), "batch"),
        ]
    return [
        (("data", "path"), f"../{other}/x/{{ds}}.parquet"), (("data", "path"), "/etc/passwd"),
        (("data", "path"), "s3://lending-lake/x.parquet"), (("data", "path"), f"{other}/x/{{ds}}.parquet"),
        (("data", "generator"), f"{other}.datagen:generate"), (("features", "views"), [f"{other}__features"]),
        (("features", "views"), [f"{tenant}__brand_new"]), (("schedule",), {"asset": f"{other}__features"}),
        (("training", "resources"), {"device": "gpu", "gpus": 99, "gpu_class": "a10g"}),
        (("training", "resources"), {"device": "gpu", "gpus": 1, "gpu_class": "h100"}),
        (("training", "resources"), {"device": "gpu", "gpus": 1}), (("name",), "features"),
    ]


GARBAGE = ["name: [unclosed", "- a\n- list\n", "", "null", "{{", "key: value\n  bad indent: x\n", "\ttab: 1", "id: : :"]


@st.composite
def tenant_edits(draw: Any) -> tuple[str, str, str]:
    """(tenant, file under its folder, new text): one edit to one file of one tenant."""
    tenant = draw(st.sampled_from(TENANTS))
    models = sorted(p.name for p in (REPO / "tenants" / tenant / "models").glob("*.yaml"))
    target = draw(st.sampled_from(["tenant.yaml", "models"]))  # half the edits to tenant.yaml, half to one of the specs
    target = target if target == "tenant.yaml" else f"models/{draw(st.sampled_from(models))}"
    kind = draw(st.sampled_from(["hostile", "hostile", "replace", "delete", "garbage"]))
    if kind == "garbage":
        return tenant, target, draw(st.sampled_from(GARBAGE) | st.text(max_size=30))
    doc = yaml.safe_load((REPO / "tenants" / tenant / target).read_text())
    if kind == "hostile":
        other = draw(st.sampled_from([t for t in TENANTS if t != tenant]))
        where, value = draw(st.sampled_from(_hostile_values(tenant, other, "tenant.yaml" if target == "tenant.yaml" else "model")))
    else:
        where, value = draw(st.sampled_from(key_paths(doc))), draw(junk)
    parent = parent_of(doc, where)
    if kind == "delete" and isinstance(parent, dict):
        del parent[where[-1]]
    else:
        parent[where[-1]] = value
    return tenant, target, yaml.safe_dump(doc, sort_keys=False)


def edited(tenant: str, target: str, change: Callable[[dict[str, Any]], None]) -> tuple[str, str, str]:
    """An explicit example: one change to a real file, as the strategy would write it."""
    doc = yaml.safe_load((REPO / "tenants" / tenant / target).read_text())
    change(doc)
    return tenant, target, yaml.safe_dump(doc, sort_keys=False)


def _retype_a_shared_column(spec: dict[str, Any]) -> None:
    """card_fraud shares its view with other payments specs: a column of another dtype is a conflict in the view."""
    column = next(c for c in spec["validation"]["columns"] if c["name"] == "hour_of_day")
    column["dtype"] = "float"


EXAMPLES = 40


class Pristine:
    """The real tenants, copied once, and their DAGs' shapes: each example edits a fresh copy of them."""

    def __init__(self, tenants: Path, shapes: dict[str, DagShape]) -> None:
        self.tenants, self.shapes = tenants, shapes

    def __repr__(self) -> str:  # hypothesis prints it with a failing example: the folder, not every DAG
        return f"Pristine({self.tenants})"


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Pristine:
    with pytest.MonkeyPatch.context() as patch:
        tenants, _ = use_tenant_copy(tmp_path_factory.mktemp("pristine"), patch, tenant=None)
        shapes, broken, _ = dag_processor_verdict()
    assert broken == set()
    return Pristine(tenants, shapes)


@settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(edit=tenant_edits())
@example(edit=edited("payments", "tenant.yaml", lambda t: t.update(gpu_quota={"a10g": {"nominal": 99}})))  # over-commit
@example(edit=edited("payments", "models/card_fraud.yaml", _retype_a_shared_column))  # the feature DAG breaks
@example(edit=edited("lending", "tenant.yaml", lambda t: t.update(data_root=".")))  # the old rule blamed every other team
def test_one_tenants_edits_never_change_another_tenants_dags(
    pristine: Pristine, capsys: pytest.CaptureFixture[str], edit: tuple[str, str, str]
) -> None:
    """(a) every other tenant's DAGs keep their ids, tasks and wiring and stay unbroken; (b) validate names only the edited tenant's files."""
    tenant, target, text = edit
    before = pristine.shapes
    with tempfile.TemporaryDirectory() as tmp, pytest.MonkeyPatch.context() as patch:
        tenants = Path(tmp) / "tenants"
        shutil.copytree(pristine.tenants, tenants)
        patch.setenv("MODELFLEET_TENANTS_DIR", str(tenants))
        patch.setenv("MODELFLEET_HOME", str(Path(tmp) / "state"))
        patch.delenv("MODELFLEET_DATA_ROOT", raising=False)
        (tenants / tenant / target).write_text(text)
        code, validated = validate_verdict(capsys)
        after, _, processed = dag_processor_verdict()

    others = {d: s for d, s in before.items() if owner(d) != tenant}
    assert {d: s for d, s in after.items() if owner(d) != tenant} == others, f"{tenant}/{target} changed another tenant's DAGs"
    assert not any(after[d][0] for d in others)  # none of them broken
    foreign = {p for p in validated.problems if not p.startswith(f"tenants/{tenant}/")}
    assert all(OVERCOMMIT.match(p) for p in foreign), foreign
    # and Airflow agrees with validate: as many broken per team, for the same reasons
    assert processed == Verdict(validated.broken, frozenset(p for p in validated.problems if not QUOTA.match(p)))
    assert code == (1 if validated.problems else 0)
    event(f"{'tenant.yaml' if target == 'tenant.yaml' else 'a model spec'}: "
          f"{sum(validated.broken.values()) or 'no'} pipeline(s) broken{', over-commit' if foreign else ''}")

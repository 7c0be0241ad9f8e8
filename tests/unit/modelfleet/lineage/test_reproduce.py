"""Train, change data and spec, train again, delete every local file, then rebuild version 1 from its lineage alone.

The repository is a git repo of its own in the test's folder (platform code,
infra and a copy of the payments tenant, committed), so the recorded
revisions are clean and the spec change between the two versions is a real
commit; the DVC remote lies outside MODELFLEET_HOME, which is deleted whole
before the reproduction.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from modelfleet.lineage import tags
from modelfleet.lineage.record import LineageError, ModelRef, chain_lines, load_lineage
from modelfleet.lineage.reproduce import ReproductionError, reproduce

REPO = Path(__file__).resolve().parents[4]

FRAMEWORKS = [
    pytest.param("merchant_risk", "num_boost_round", id="xgboost"),
    pytest.param("account_takeover", "epochs", id="torch"),
]


def git(root: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, check=True).stdout.strip()


@pytest.fixture
def lineage_repo(stages, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The test folder as a committed monorepo (platform, infra, tenants); runtime state stays untracked."""
    root = stages.home.root
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "BUILD")
    shutil.copytree(REPO / "platform", root / "platform", ignore=ignore)
    shutil.copytree(REPO / "infra", root / "infra", ignore=ignore)
    (root / ".gitignore").write_text("state/\nmlruns/\nmlflow.db\nremote/\nreproduce*/\n")
    git(root, "init", "-q", "-b", "main")
    git(root, "-c", "user.name=t", "-c", "user.email=t@example.com", "add", ".gitignore", "platform", "infra", "tenants")
    git(root, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-m", "fleet")
    monkeypatch.setenv("MODELFLEET_REPO", str(root))
    monkeypatch.setenv("MODELFLEET_DVC_REMOTE", str(root / "remote"))
    return root


def commit_spec_change(root: Path, stages, model: str, param: str) -> None:
    stages.home.edit_spec(model, lambda spec: spec["training"]["hyperparameters"].update({param: spec["training"]["hyperparameters"][param] + 3}))
    git(root, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-am", f"{model}: more {param}")


@pytest.mark.parametrize(("model", "param"), FRAMEWORKS)
def test_version_1_is_rebuilt_from_its_lineage_alone_after_data_spec_and_local_files_changed(stages, lineage_repo, model, param, tmp_path):
    first = stages.through(model, stages.day, last="register")
    revision_1 = git(lineage_repo, "rev-parse", "HEAD")
    commit_spec_change(lineage_repo, stages, model, param)
    # Changed data: the first day's file is rewritten with other rows, and a second day trains version 2 on new data.
    stages.home.land(model, stages.day, rows=600)
    second = stages.through(model, stages.next_day, last="register", rows=1400)
    name = f"payments__{model}"
    assert first.ti.xcoms["register"][name]["version"] == "1" and second.ti.xcoms["register"][name]["version"] == "2"

    v1 = load_lineage(stages.client, ModelRef("payments", model, version="1"))
    v2 = load_lineage(stages.client, ModelRef("payments", model, version="2"))
    assert v1.tag(tags.CODE_REVISION) == revision_1 and v2.tag(tags.CODE_REVISION) == git(lineage_repo, "rev-parse", "HEAD")
    assert v1.tag(tags.SPEC_SHA256) != v2.tag(tags.SPEC_SHA256)
    assert v1.snapshot(tags.TRAINING_SET)["md5"] != v2.snapshot(tags.TRAINING_SET)["md5"]
    assert v1.metric != v2.metric  # a match below means something

    shutil.rmtree(stages.home.state)  # data, run folders, DVC workspaces and caches: everything local but the remote
    done = reproduce(v1, tmp_path / "reproduce-v1")
    assert done.code.startswith(str(tmp_path / "reproduce-v1" / "src"))  # the checkout's code ran, not the live one
    assert done.revision == revision_1 and done.matches, (done.original, done.reproduced)
    assert done.reproduced == pytest.approx(v1.metric, abs=1e-9)

    again = reproduce(v2, tmp_path / "reproduce-v2")
    assert again.matches and again.reproduced == pytest.approx(v2.metric, abs=1e-9)


def test_lineage_chain_names_data_spec_code_run_and_views(stages, lineage_repo, capsys):
    stages.through("merchant_risk", stages.day, last="register")
    lineage = load_lineage(stages.client, ModelRef.parse("payments/merchant_risk@challenger"))
    snap = lineage.snapshot(tags.TRAINING_SET)
    text = "\n".join(chain_lines(lineage))
    assert snap["md5"] in text and str(lineage_repo / "remote") in snap["remote"]
    assert git(lineage_repo, "rev-parse", "HEAD") in text and "tenants/payments/models/merchant_risk.yaml" in text
    assert f"payments__merchant_risk / {lineage.tag(tags.DAG_RUN_ID)}" in text
    version = stages.client.get_model_version("payments__merchant_risk", "1")
    assert version.tags[tags.TRAINING_SET + ".md5"] == snap["md5"] and version.tags[tags.RUN_ID] == lineage.run_id

    from modelfleet.cli.main import main

    assert main(["lineage", "payments/merchant_risk@challenger"]) == 0
    assert snap["md5"] in capsys.readouterr().out
    assert main(["lineage", "payments/merchant_risk"]) == 1  # no champion: never deployed
    assert "has no alias 'champion'" in " ".join(capsys.readouterr().out.split())


def test_a_spec_edited_without_a_commit_is_refused(stages, lineage_repo, tmp_path, capsys):
    stages.home.edit_spec("merchant_risk", lambda spec: spec["training"]["hyperparameters"].update({"max_depth": 2}))
    stages.through("merchant_risk", stages.day, last="register")
    lineage = load_lineage(stages.client, ModelRef("payments", "merchant_risk", version="1"))
    assert lineage.tag(tags.CODE_REVISION).endswith("-dirty")
    with pytest.raises(ReproductionError, match="uncommitted changes"):
        reproduce(lineage, tmp_path / "r1")
    with pytest.raises(ReproductionError, match="changed without a commit"):
        reproduce(lineage, tmp_path / "r2", allow_dirty=True)

    from modelfleet.cli.main import main

    assert main(["reproduce", "payments/merchant_risk:1", "--workdir", str(tmp_path / "r3")]) == 1
    assert "uncommitted changes" in " ".join(capsys.readouterr().out.split())


def test_references_are_parsed_or_refused_with_the_form_to_use():
    assert ModelRef.parse("payments/card_fraud") == ModelRef("payments", "card_fraud", alias="champion")
    assert ModelRef.parse("payments/card_fraud:3") == ModelRef("payments", "card_fraud", version="3")
    assert ModelRef.parse("payments/card_fraud@challenger").alias == "challenger"
    for bad in ("card_fraud", "payments/card_fraud:v3", "payments/card_fraud@x:3", "/x"):
        with pytest.raises(LineageError, match="<tenant>/<model>"):
            ModelRef.parse(bad)


def test_a_missing_version_is_named(stages, lineage_repo):
    stages.through("merchant_risk", stages.day, last="register")
    with pytest.raises(LineageError, match="has no version 7"):
        load_lineage(stages.client, ModelRef("payments", "merchant_risk", version="7"))


def test_the_logged_model_loads_where_modelfleet_is_not_installed(stages, lineage_repo):
    """The model bundles its modelfleet.training code and pins its packages: it loads in an interpreter without modelfleet."""
    run = stages.through("merchant_risk", stages.day, last="register")
    uri = run.ti.xcoms["train"]["model_uri"]
    import mlflow

    local = mlflow.artifacts.download_artifacts(artifact_uri=uri, dst_path=str(stages.home.root / "model-copy"))
    requirements = Path(local, "requirements.txt").read_text().split()
    assert not any(r.split("==")[0] == "modelfleet" for r in requirements)
    assert all("==" in r for r in requirements if not r.startswith("-")), requirements
    holdout = stages.home.run_dir("merchant_risk", run.ds) / "holdout.parquet"
    script = (
        "import sys, importlib.util\n"
        "sys.path = [p for p in sys.path if not p.rstrip('/').endswith('platform')]\n"
        "for finder in list(sys.meta_path):\n"
        "    if 'editable' in type(finder).__module__: sys.meta_path.remove(finder)\n"
        "assert importlib.util.find_spec('modelfleet') is None, 'modelfleet is importable'\n"
        "import mlflow.pyfunc, pandas as pd\n"
        f"m = mlflow.pyfunc.load_model({local!r})\n"
        f"p = m.predict(pd.read_parquet({str(holdout)!r}))\n"
        "import modelfleet; print(len(p), modelfleet.__file__)\n"
    )
    done = subprocess.run(["python", "-c", script], capture_output=True, text=True, cwd=str(stages.home.root),
                          env={"PATH": str(Path(__import__("sys").executable).parent), "HOME": str(stages.home.root)})
    assert done.returncode == 0, done.stderr[-2000:]
    count, loaded_from = done.stdout.split()
    assert int(count) > 0 and loaded_from.startswith(local)

"""CI's workflow runs what the tests check, so .github/workflows/ci.yml cannot rot.

test_pants_scoping.py proves which tests `scoped_test_targets` selects for a
tenant or a platform change; these tests hold the workflow, `make
test-changed` and the operator guide to the same definition
(support/ci_commands.py), and the nightly job to `.ci/run`, the README's
`make test`. Reading files only: milliseconds.
"""

from __future__ import annotations

import os
import re
import shlex
from pathlib import Path

import yaml

from support.ci_commands import FULL_SUITE, TEST_COMMAND, scoped_test, scoped_test_targets

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW = ROOT / ".github" / "workflows" / "ci.yml"
SETUP_ACTION = ROOT / ".github" / "actions" / "setup" / "action.yml"


def _workflow() -> dict:
    data = yaml.safe_load(WORKFLOW.read_text())
    data["on"] = data.pop(True, data.get("on"))  # YAML 1.1 reads the key `on` as true
    return data


def _commands(steps: list[dict]) -> list[list[str]]:
    """Each command line of the steps' `run` scripts, split as the shell splits it."""
    commands = []
    for step in steps:
        for line in step.get("run", "").replace("\\\n", " ").splitlines():
            if line.strip() and not line.strip().startswith("#"):
                commands.append(shlex.split(line, comments=True))
    return commands


def _pants(commands: list[list[str]]) -> list[list[str]]:
    return [argv for argv in commands if any(Path(token).name == "pants" for token in argv)]


def _events(job: dict) -> set[str]:
    """The events a job's `if:` lets it run on."""
    return set(re.findall(r"github\.event_name == '(\w+)'", job.get("if", "")))


def _make_recipe(target: str) -> list[list[str]]:
    """A Makefile target's recipe as the shell receives it (`@` dropped, `$$` unescaped)."""
    lines = (ROOT / "Makefile").read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"{target}:"))
    recipe = []
    for line in lines[start + 1:]:
        if not line.startswith("\t"):
            break
        recipe.append(shlex.split(line.strip().lstrip("@").replace("$$", "$"), comments=True))
    return recipe


def test_the_only_pants_command_is_the_scoped_selection_the_scoping_test_checks() -> None:
    jobs = _workflow()["jobs"]
    steps = jobs["changed"]["steps"]
    every_step = [s for job in jobs.values() for s in job["steps"]] + yaml.safe_load(SETUP_ACTION.read_text())["runs"]["steps"]
    assert _pants(_commands(every_step)) == [scoped_test("$BASE")]
    assert _pants(_commands(steps)) == [scoped_test("$BASE")]
    # The scoping test lists exactly the targets this command tests.
    assert scoped_test_targets("$BASE")[:-2] == scoped_test("$BASE")[:-1]
    # $BASE is the change's base, written to the job's environment before Pants runs.
    pants_at = next(i for i, s in enumerate(steps) if _pants(_commands([s])))
    assert any(re.search(r'BASE=.*>>\s*"?\$GITHUB_ENV', s.get("run", "")) for s in steps[:pants_at])


def test_the_changed_job_checks_out_the_history_changed_since_diffs_against() -> None:
    checkout = next(s for s in _workflow()["jobs"]["changed"]["steps"] if s.get("uses", "").startswith("actions/checkout@"))
    assert checkout.get("with", {}).get("fetch-depth") == 0, "a shallow clone has no origin/main to diff against"


def test_changes_run_the_scoped_job_and_nights_the_full_one() -> None:
    workflow = _workflow()
    assert {"pull_request", "push", "schedule"} <= set(workflow["on"])
    assert all(entry.get("cron") for entry in workflow["on"]["schedule"])
    jobs = workflow["jobs"]
    assert _events(jobs["changed"]) == {"pull_request", "push"}
    assert "schedule" in _events(jobs["nightly"]) and not _events(jobs["nightly"]) & {"pull_request", "push"}
    for job in jobs.values():
        assert any(s.get("uses") == "./.github/actions/setup" for s in job["steps"]), "both jobs need the same machine"


def test_the_nightly_job_runs_the_whole_suite_as_ci_run_and_the_readme_do() -> None:
    assert _commands(_workflow()["jobs"]["nightly"]["steps"]) == [[FULL_SUITE]]
    ci_run = ROOT / FULL_SUITE
    assert os.access(ci_run, os.X_OK)
    body = [line.strip() for line in ci_run.read_text().splitlines() if line.strip() and not line.startswith("#")]
    assert body[-1] == f"exec {TEST_COMMAND}"
    readme = (ROOT / "README.md").read_text()
    assert re.search(rf"^{re.escape(TEST_COMMAND)}\s+#.*{re.escape(FULL_SUITE)}", readme, re.MULTILINE), \
        f"README no longer names `{TEST_COMMAND}` as what CI runs ({FULL_SUITE})"
    # The whole suite: nothing deselects tests (the slow end-to-end and scoping tests run nightly).
    pytest_options = re.search(r'^addopts\s*=\s*"(.*)"', (ROOT / "pyproject.toml").read_text(), re.MULTILINE)
    recipe = _make_recipe(TEST_COMMAND.split()[1])
    for argv in [*recipe, shlex.split(pytest_options.group(1) if pytest_options else "")]:
        assert not {"-m", "-k", "--deselect"} & set(argv), f"the full suite deselects tests: {argv}"


def test_make_test_changed_runs_what_ci_runs() -> None:
    assert _make_recipe("test-changed") == [scoped_test("${BASE:-origin/main}")]


def test_the_operator_guide_gives_the_same_command() -> None:
    guide = " ".join((ROOT / "docs" / "operators.md").read_text().split())
    assert " ".join(scoped_test("origin/main")) in guide

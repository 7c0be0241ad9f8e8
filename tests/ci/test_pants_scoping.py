"""CI runs only what a change touches: Pants `--changed-since` picks the right tests.

Each case edits a file in a throwaway `git clone` of HEAD (so it works on a
clean CI checkout and never touches this working tree) and asks Pants which
test targets the change selects, the way CI does:

    scripts/pants --changed-since=HEAD --changed-dependents=transitive \
        --filter-target-type=python_test list

`list`, not `test`: selection takes seconds, running the tests minutes. The
command comes from support/ci_commands.py (`scoped_test_targets`), which
tests/ci/test_workflow.py holds CI's workflow to. The
clone reuses this checkout's Pants install (.venv-pants), pex tool and caches
(~/.cache/modelfleet-pants), which are gitignored or outside the clone.

Files are chosen from the tree as it is (the first tenant with tests, the
specs loader), so adding tenants or modules does not break these tests.

    .venv/bin/pytest tests/ci/test_pants_scoping.py -m slow -s
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from support.ci_commands import PANTS, scoped_test_targets

ROOT = Path(__file__).resolve().parents[2]
PEX_TOOL_GLOB = "build-support/pants/pex-*.pex"
PLATFORM_FILE_PREFERENCE = ("platform/modelfleet/specs/loader.py", "platform/modelfleet/specs/__init__.py")


def _tenants_with_tests(repo: Path) -> list[str]:
    """Teams (tenants/<team>/tenant.yaml) that have tests of their own, sorted."""
    return sorted(
        spec.parent.name
        for spec in (repo / "tenants").glob("*/tenant.yaml")
        if any((spec.parent / "tests").glob("test_*.py"))
    )


def _test_files(repo: Path) -> list[Path]:
    """Every pytest file the BUILD files make a python_test target of."""
    found: set[Path] = set()
    for pattern in ("platform/**/test_*.py", "tenants/*/tests/**/test_*.py", "tests/**/test_*.py"):
        found.update(repo.glob(pattern))
    return sorted(found)


def _paths(addresses: list[str]) -> set[str]:
    """`tenants/x/tests/test_a.py:tests` -> `tenants/x/tests/test_a.py`."""
    return {address.split(":", 1)[0] for address in addresses}


def _module_name(path: str) -> str:
    """platform/modelfleet/specs/loader.py -> modelfleet.specs.loader (source root platform/)."""
    parts = Path(path).relative_to("platform").with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(test_file: Path, module: str) -> bool:
    """Whether a test imports `module` itself, or its package when the package re-exports it."""
    package, _, leaf = module.rpartition(".")
    names = [re.escape(module)]
    init = ROOT / "platform" / Path(*package.split(".")) / "__init__.py"
    if package and init.is_file() and re.search(rf"from {re.escape(module)} import|from \. ?import {leaf}\b|from \.{leaf} import", init.read_text()):
        names.append(re.escape(package))
    pattern = rf"^\s*(?:from|import)\s+(?:{'|'.join(names)})(?![\w.])"
    return re.search(pattern, test_file.read_text(), re.MULTILINE) is not None


@pytest.fixture(scope="module")
def clone(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A clean clone of HEAD, as CI checks it out."""
    repo = tmp_path_factory.mktemp("pants-scoping") / "repo"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(repo)], check=True)
    if not (repo / PANTS).is_file() or not (repo / "pants.toml").is_file():
        pytest.fail("HEAD has no scripts/pants or pants.toml: commit the Pants setup first")
    return repo


@pytest.fixture(scope="module")
def pants_env() -> dict[str, str]:
    """CI's environment, pointing the clone at this checkout's gitignored Pants install."""
    env = dict(os.environ)
    env["CI"] = "1"  # scripts/pants layers pants.ci.toml: no pantsd, plain output
    venv = ROOT / ".venv-pants"
    if (venv / "bin" / "pants").exists():
        env["MODELFLEET_PANTS_VENV"] = str(venv)
    tools = sorted(ROOT.glob(PEX_TOOL_GLOB))
    if tools:
        env["MODELFLEET_PANTS_PEX"] = str(tools[-1].resolve())
    return env


def _selected_tests(repo: Path, env: dict[str, str], label: str) -> list[str]:
    """The python_test targets Pants selects for the clone's uncommitted changes."""
    pants, *arguments = scoped_test_targets("HEAD")
    command = [str(repo / pants), "--no-pantsd", *arguments]
    started = time.monotonic()
    result = subprocess.run(command, cwd=repo, env=env, capture_output=True, text=True, timeout=900)
    elapsed = time.monotonic() - started
    assert result.returncode == 0, f"pants failed ({result.returncode}):\n{result.stderr[-4000:]}"
    selected = sorted(line.strip() for line in result.stdout.splitlines() if line.strip())
    print(f"\n[{label}] `{' '.join(command[1:])}` took {elapsed:.1f}s and selected {len(selected)} test targets:")
    for address in selected:
        print(f"  {address}")
    return selected


@pytest.fixture
def edit(clone: Path) -> Iterator:
    """Append a comment to files in the clone; restore them afterwards."""
    originals: dict[Path, bytes] = {}

    def append_comment(relative: str) -> str:
        path = clone / relative
        originals.setdefault(path, path.read_bytes())
        with path.open("a") as handle:
            handle.write("\n# changed by tests/ci/test_pants_scoping.py\n")
        return relative

    yield append_comment
    for path, content in originals.items():
        path.write_bytes(content)


def _tenant_case(clone: Path) -> tuple[str, list[str]]:
    tenants = _tenants_with_tests(clone)
    if len(tenants) < 2:
        pytest.skip(f"needs two tenants with tests to tell them apart, found {tenants}")
    return tenants[0], tenants[1:]


def _assert_only_tenant(clone: Path, selected: list[str], team: str, others: list[str]) -> None:
    paths = _paths(selected)
    own = {str(p.relative_to(clone)) for p in (clone / "tenants" / team / "tests").glob("**/test_*.py")}
    assert own <= paths, f"{team}'s tests not selected: {sorted(own - paths)}"
    leaked = sorted(p for p in paths for other in others if p.startswith(f"tenants/{other}/"))
    assert not leaked, f"a change in tenants/{team}/ selected other teams' tests: {leaked}"
    platform_tests = sorted(p for p in paths if p.startswith("platform/"))
    assert not platform_tests, f"a tenant change selected platform tests: {platform_tests}"


@pytest.mark.slow
def test_tenant_model_spec_change_selects_only_that_tenants_tests(clone, pants_env, edit):
    team, others = _tenant_case(clone)
    specs = sorted((clone / "tenants" / team / "models").glob("*.yaml"))
    assert specs, f"tenants/{team}/models has no model specs"
    changed = edit(str(specs[0].relative_to(clone)))
    selected = _selected_tests(clone, pants_env, f"tenant spec change: {changed}")
    _assert_only_tenant(clone, selected, team, others)


@pytest.mark.slow
def test_tenant_code_change_selects_only_that_tenants_tests(clone, pants_env, edit):
    team, others = _tenant_case(clone)
    modules = sorted(p for p in (clone / "tenants" / team).glob("*.py") if p.name != "__init__.py")
    if not modules:
        pytest.skip(f"tenants/{team} has no modules besides __init__.py")
    changed = edit(str(modules[0].relative_to(clone)))
    selected = _selected_tests(clone, pants_env, f"tenant code change: {changed}")
    _assert_only_tenant(clone, selected, team, others)


@pytest.mark.slow
def test_platform_change_selects_its_dependents_tests(clone, pants_env, edit):
    changed = next((p for p in PLATFORM_FILE_PREFERENCE if (clone / p).is_file()), None)
    if changed is None:
        pytest.skip(f"none of {PLATFORM_FILE_PREFERENCE} exists")
    module = _module_name(changed)
    importers = {str(p.relative_to(clone)) for p in _test_files(clone) if _imports(p, module)}
    assert importers, f"no test imports {module}: pick another platform file"
    edit(changed)
    selected = _selected_tests(clone, pants_env, f"platform change: {changed}")
    paths = _paths(selected)
    print(f"  tests importing {module} (expected among them): {len(importers)}")
    assert importers <= paths, f"tests importing {module} not selected: {sorted(importers - paths)}"
    # DAG integrity reaches the module through the DAG files and the DAG factory.
    dag_tests = {str(p.relative_to(clone)) for p in (clone / "tests" / "dags").glob("test_*.py")}
    assert dag_tests <= paths, f"DAG integrity tests not selected: {sorted(dag_tests - paths)}"


def test_every_tenant_is_in_the_fleet_target():
    """tenants/BUILD `all` (what dags/ and the DAG tests depend on) lists every team."""
    listed = set(re.findall(r'"tenants/([\w-]+)"', (ROOT / "tenants" / "BUILD").read_text()))
    teams = {spec.parent.name for spec in (ROOT / "tenants").glob("*/tenant.yaml")}
    assert teams <= listed, f"add to tenants/BUILD `all`: {sorted(teams - listed)}"


def test_constraints_are_derived_from_the_uv_lock():
    """3rdparty/python/constraints.txt is requirements.lock without hashes (re-derive after re-locking)."""
    result = subprocess.run(
        [str(ROOT / "build-support" / "pants" / "derive_constraints.sh"), "--check"],
        capture_output=True, text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def _normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def test_pants_resolve_pins_the_uv_lock_versions():
    """Pants tests exactly the versions .venv runs: pants.lock agrees with requirements.lock."""
    lock_text = (ROOT / "3rdparty" / "python" / "pants.lock").read_text()
    lock = json.loads("\n".join(line for line in lock_text.splitlines() if not line.startswith("//")))
    pants = {
        _normalized(r["project_name"]): r["version"]
        for resolve in lock["locked_resolves"]
        for r in resolve["locked_requirements"]
    }
    uv = dict(
        (_normalized(name), version)
        for name, version in re.findall(r"^([A-Za-z0-9][\w.-]*)==([^\s;\\]+)", (ROOT / "3rdparty" / "python" / "requirements.lock").read_text(), re.MULTILINE)
    )
    differing = {name: (pants.get(name), uv.get(name)) for name in pants.keys() | uv.keys() if pants.get(name) != uv.get(name)}
    assert not differing, f"pants.lock vs requirements.lock (run `scripts/pants generate-lockfiles`): {differing}"


def test_every_team_s_dag_file_depends_on_its_team_alone():
    """dags/tenants/BUILD gives each team's DAG file (`modelfleet dags sync`) a dependency on that team only."""
    listed = dict(re.findall(r'"([\w-]+)\.py": \{"dependencies": \["tenants/([\w-]+)"\]\}', (ROOT / "dags" / "tenants" / "BUILD").read_text()))
    teams = {spec.parent.name for spec in (ROOT / "tenants").glob("*/tenant.yaml")}
    assert listed == {team: team for team in teams}, f"dags/tenants/BUILD overrides: want one `\"<team>.py\": {{\"dependencies\": [\"tenants/<team>\"]}}` per team, have {listed}"

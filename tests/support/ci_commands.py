"""The commands CI runs, defined once.

tests/ci/test_pants_scoping.py builds its Pants command from these, and
tests/ci/test_workflow.py checks that .github/workflows/ci.yml and
`make test-changed` run exactly them: the selection the scoping test proves
right is the selection CI uses, and neither can drift alone.
"""

from __future__ import annotations

PANTS = "scripts/pants"
# The nightly job's command: .ci/run execs the README's test command.
FULL_SUITE = ".ci/run"
TEST_COMMAND = "make test"


def changed_selection(base: str) -> list[str]:
    """Targets owning files changed since `base`, plus everything that depends on them, transitively.

    Without transitive dependents a platform change would run only the
    platform's own tests, none of the DAG or tenant tests that import it.
    """
    return [f"--changed-since={base}", "--changed-dependents=transitive"]


def scoped_test(base: str) -> list[str]:
    """What CI runs for a change: the tests of every target the change reaches."""
    return [PANTS, *changed_selection(base), "test"]


def scoped_test_targets(base: str) -> list[str]:
    """The test targets `scoped_test(base)` runs, listed instead of run (seconds, not minutes)."""
    return [PANTS, *changed_selection(base), "--filter-target-type=python_test", "list"]

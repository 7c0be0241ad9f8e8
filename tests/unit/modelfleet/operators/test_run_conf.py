"""The run's `deploy` option: true unless the run says false; anything else fails with the fix."""

from __future__ import annotations

import pytest
from airflow.sdk.exceptions import AirflowFailException

from modelfleet.operators.run_conf import deploy_enabled


@pytest.mark.parametrize(("params", "expected"), [({}, True), ({"deploy": True}, True), ({"deploy": False}, False)])
def test_deploy_is_on_unless_the_run_turns_it_off(params: dict, expected: bool) -> None:
    assert deploy_enabled({"params": params}) is expected


@pytest.mark.parametrize("value", ["false", 0, None])
def test_a_deploy_value_that_is_not_a_boolean_fails_naming_the_fix(value: object) -> None:
    with pytest.raises(AirflowFailException, match=r'`deploy` is .*not true or false.*\{"deploy": false\}'):
        deploy_enabled({"params": {"deploy": value}})

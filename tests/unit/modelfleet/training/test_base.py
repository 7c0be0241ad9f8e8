"""The trainer registry: short names and dotted paths resolve lazily; failures name what failed."""

from __future__ import annotations

import pytest

from modelfleet.training.base import get_trainer, import_string


@pytest.mark.parametrize("target", [pytest.param("os.path:join", id="colon"), pytest.param("os.path.join", id="dotted")])
def test_import_string_forms(target):
    import os.path

    assert import_string(target) is os.path.join


@pytest.mark.parametrize(
    ("target", "message"),
    [
        pytest.param("no_such_module_x:f", "cannot import 'no_such_module_x'", id="module"),
        pytest.param("os.path:no_such_attr", "'os.path' has no attribute 'no_such_attr'", id="attribute"),
    ],
)
def test_import_string_errors_name_the_target(target, message):
    with pytest.raises(ImportError, match=message):
        import_string(target)


@pytest.mark.parametrize(("name", "cls"), [("xgboost", "XGBoostTrainer"), ("torch", "TorchTrainer"),
                                           ("modelfleet.training.xgboost_trainer:XGBoostTrainer", "XGBoostTrainer")])
def test_get_trainer(name, cls):
    assert type(get_trainer(name)).__name__ == cls

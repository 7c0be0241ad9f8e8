"""Gradient-boosted trees with xgboost's `hist` method; CUDA when the task holds a GPU."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from modelfleet.training.base import EpochLogger

if TYPE_CHECKING:
    import numpy as np

OBJECTIVES = {
    "classification": ("binary:logistic", "logloss"),
    "regression": ("reg:squarederror", "rmse"),
    "forecasting": ("reg:squarederror", "rmse"),
    "ranking": ("rank:ndcg", "ndcg"),
}


class XGBoostTrainer:
    def fit(self, x_train: np.ndarray, y_train: np.ndarray, x_valid: np.ndarray, y_valid: np.ndarray, *,
            task: str, hyperparameters: dict[str, Any], seed: int, log_epoch: EpochLogger,
            groups_train: np.ndarray | None = None) -> Any:
        import numpy as np
        import xgboost as xgb

        objective, eval_metric = OBJECTIVES[task]
        params = {"objective": objective, "eval_metric": eval_metric, "tree_method": "hist", "seed": seed,
                  "nthread": 1, "device": os.environ.get("MODELFLEET_XGB_DEVICE", "cpu")}
        extra = dict(hyperparameters)
        rounds = int(extra.pop("num_boost_round", 50))
        params.update(extra)
        if task == "ranking" and groups_train is not None:
            order = np.argsort(groups_train, kind="stable")
            train = xgb.DMatrix(x_train[order], label=y_train[order], qid=groups_train[order])
            valid = xgb.DMatrix(x_valid, label=y_valid)
            evals = [(train, "train")]
        else:
            train = xgb.DMatrix(x_train, label=y_train)
            valid = xgb.DMatrix(x_valid, label=y_valid)
            evals = [(train, "train"), (valid, "valid")]
        history: dict[str, dict[str, list[float]]] = {}
        booster = xgb.train(params, train, num_boost_round=rounds, evals=evals, evals_result=history, verbose_eval=False)
        for split, values in history.items():
            for name, series in values.items():
                for step, value in enumerate(series):
                    log_epoch(step, {f"{split}_{name}": float(value)})
        return booster

    def predict(self, model: Any, x: np.ndarray) -> np.ndarray:
        import xgboost as xgb

        return model.predict(xgb.DMatrix(x))

    def pip_requirements(self) -> list[str]:
        import xgboost

        return [f"xgboost=={xgboost.__version__}"]

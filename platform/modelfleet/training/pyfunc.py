"""The logged model: encoder + trained model behind MLflow's pyfunc, so scoring takes raw frames."""

from __future__ import annotations

from typing import Any

import mlflow.pyfunc

from modelfleet.training.base import get_trainer
from modelfleet.training.encoding import FeatureEncoder


class FleetModel(mlflow.pyfunc.PythonModel):
    """Imported only inside tasks (mlflow is heavy); predicts on the spec's raw columns."""

    def __init__(self, framework: str, encoder: FeatureEncoder, model: Any) -> None:
        self.framework = framework
        self.encoder = encoder
        self.model = model

    # Unannotated on purpose: MLflow reads type hints on predict() as an input schema,
    # and the logged signature already describes the input.
    def predict(self, context, model_input, params=None):  # type: ignore[no-untyped-def]  # noqa: ANN001, ANN201
        return get_trainer(self.framework).predict(self.model, self.encoder.transform(model_input))

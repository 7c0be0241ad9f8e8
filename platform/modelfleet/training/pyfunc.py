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

    def predict(self, context: Any, model_input: Any, params: dict[str, Any] | None = None) -> Any:
        return get_trainer(self.framework).predict(self.model, self.encoder.transform(model_input))

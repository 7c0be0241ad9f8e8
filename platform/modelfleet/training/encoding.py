"""Turn a raw frame into the numeric matrix both trainers learn from.

Categories come from the spec's `allowed` lists, so encoding is fixed by the
spec, not by whichever values one day's data happened to contain; the
encoder travels inside the logged model, so scoring applies the same one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    # Type only: a logged model bundles modelfleet.training alone (training/bundle.py),
    # so nothing here may need the specs package at load time.
    from modelfleet.specs.model import ModelSpec


@dataclass
class FeatureEncoder:
    numeric: list[str]
    categorical: dict[str, list[Any]] = field(default_factory=dict)

    @classmethod
    def from_spec(cls, spec: ModelSpec) -> FeatureEncoder:
        excluded = {*spec.features.join_keys, spec.features.label, spec.features.timestamp_column}
        if spec.partitions:
            excluded.add(spec.partitions.key)
        numeric, categorical = [], {}
        for column in spec.validation.columns:
            if column.name in excluded or column.dtype == "datetime":
                continue
            if column.dtype in ("category", "str"):
                categorical[column.name] = list(column.allowed or [])
            else:
                numeric.append(column.name)
        return cls(numeric, categorical)

    @property
    def columns(self) -> list[str]:
        return [*self.numeric, *self.categorical]

    @property
    def width(self) -> int:
        return len(self.numeric) + sum(len(v) for v in self.categorical.values())

    def transform(self, frame: pd.DataFrame) -> np.ndarray:
        import numpy as np

        parts = [frame[self.numeric].astype(float).to_numpy()] if self.numeric else []
        for name, values in self.categorical.items():
            column = frame[name].astype(object).to_numpy()
            parts.append(np.stack([(column == v) for v in values], axis=1).astype(float) if values else np.zeros((len(frame), 0)))
        matrix = np.concatenate(parts, axis=1) if parts else np.zeros((len(frame), 0))
        return np.nan_to_num(matrix, nan=0.0)

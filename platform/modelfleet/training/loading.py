"""Load a logged fleet model without letting its bundled code shadow the platform's for the rest of the process.

MLflow puts a model's `code_paths` folder first on `sys.path` for good. Its
bundled `modelfleet` (the training modules only, training/bundle.py) is what
unpickling needs; afterwards that entry would shadow the installed package for
any later top-level import and for every child process that inherits
`sys.path`. Unpickling has imported what the model needs by the time the
load returns (and later submodule imports go by the package's own `__path__`),
so the entries the load added are taken out again.
"""

from __future__ import annotations

import sys
from typing import Any


def load_fleet_model(model_uri: str) -> Any:
    """`mlflow.pyfunc.load_model(model_uri)`, leaving `sys.path` as it found it."""
    import mlflow.pyfunc

    before = list(sys.path)
    try:
        return mlflow.pyfunc.load_model(model_uri)
    finally:
        added = [entry for entry in sys.path if entry not in before]
        for entry in added:
            sys.path.remove(entry)

"""The platform code a logged model needs, bundled into the model so it loads where modelfleet is not installed.

A logged FleetModel unpickles classes of `modelfleet.training` (the pyfunc
wrapper, the encoder, the torch model). Listing an unpinned `modelfleet` in
the model's requirements would load whatever version a later environment has,
or fail where it has none; instead the package's training modules travel with
the model as MLflow `code_paths`, and only third-party packages are pinned.
"""

from __future__ import annotations

import shutil
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent.parent
BUNDLED = ("__init__.py", "training")
"""What `modelfleet.training` imports at load time: nothing else of the package (encoding's spec import is type-only)."""


def bundle_training_code(folder: Path) -> Path:
    """Copy `modelfleet/__init__.py` and `modelfleet/training/*.py` under `folder`; returns `folder/modelfleet` for `code_paths`."""
    target = folder / "modelfleet"
    target.mkdir(parents=True, exist_ok=True)
    for name in BUNDLED:
        source = PACKAGE_DIR / name
        if source.is_dir():
            shutil.copytree(source, target / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "BUILD"), dirs_exist_ok=True)
        else:
            shutil.copy2(source, target / name)
    return target


def pinned_requirements(framework_requirements: list[str]) -> list[str]:
    """The model's pip requirements: its framework plus what the pyfunc wrapper and encoder use, each pinned."""
    import cloudpickle
    import numpy
    import pandas

    return [*framework_requirements, f"pandas=={pandas.__version__}", f"numpy=={numpy.__version__}",
            f"cloudpickle=={cloudpickle.__version__}"]

"""Where Feast keeps its state, and which feature_store.yaml configures it.

The repository holds the configuration (`feature_repo/feature_store.yaml`,
and `feature_repo/production/feature_store.yaml` for Redis + a SQL
registry); registry, online store and offline files live under the
platform's state folder (`$MODELFLEET_HOME/feast`), never in the repo.
`${VAR}` in the YAML is substituted from the environment, with
`MODELFLEET_FEAST_HOME` defaulting to that state folder.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from modelfleet import paths

if TYPE_CHECKING:
    from feast import RepoConfig

HOME_VAR = "MODELFLEET_FEAST_HOME"
CONFIG_VAR = "MODELFLEET_FEAST_CONFIG"
_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


class FeatureStoreConfigError(Exception):
    """feature_store.yaml cannot be used: names the file, what is wrong and the fix."""

    def __init__(self, file: Path | str, message: str, fix: str) -> None:
        self.file = str(file)
        super().__init__(f"{file}: {message} (fix: {fix})")


def feast_home() -> Path:
    """Registry, online store, offline files and the lock: `$MODELFLEET_HOME/feast` unless overridden."""
    return Path(os.environ.get(HOME_VAR) or paths.state_dir() / "feast").resolve()


def offline_dir() -> Path:
    """One folder of parquet files per feature view: the views' batch sources."""
    return feast_home() / "offline"


def lock_file() -> Path:
    return feast_home() / "feast.lock"


def default_config_file() -> Path:
    return paths.repo_root() / "feature_repo" / "feature_store.yaml"


def config_file(explicit: str | Path | None = None) -> Path:
    """The YAML to use: an explicit path, else $MODELFLEET_FEAST_CONFIG, else the embedded default.

    Relative paths are taken from the repository root.
    """
    chosen = Path(explicit or os.environ.get(CONFIG_VAR) or default_config_file())
    return chosen if chosen.is_absolute() else paths.repo_root() / chosen


def render(text: str, file: Path | str, environ: dict[str, str] | None = None) -> str:
    """Substitute every `${VAR}` outside comments; an unset variable is an error that names it (Feast would keep it literally)."""
    values = {HOME_VAR: str(feast_home()), **(os.environ if environ is None else environ)}

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if not values.get(name):
            raise FeatureStoreConfigError(file, f"${{{name}}} is used but not set", f"export {name} in the workers' environment")
        return values[name]

    return "".join(
        line if line.lstrip().startswith("#") else _VARIABLE.sub(value, line) for line in text.splitlines(keepends=True)
    )


def read_config(file: str | Path | None = None, environ: dict[str, str] | None = None) -> dict[str, Any]:
    """The rendered YAML as a mapping (no Feast import): what `load_repo_config` validates."""
    import yaml

    path = config_file(file)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise FeatureStoreConfigError(path, f"cannot be read: {exc}", f"create it, or point {CONFIG_VAR} at a feature_store.yaml") from exc
    data = yaml.safe_load(render(text, path, environ))
    if not isinstance(data, dict):
        raise FeatureStoreConfigError(path, "is not a mapping", "write Feast's feature_store.yaml keys at the top level")
    return data


def load_repo_config(file: str | Path | None = None, environ: dict[str, str] | None = None) -> RepoConfig:
    """Feast's RepoConfig for the chosen YAML; Feast's validation errors carry the file's path."""
    from feast import RepoConfig
    from pydantic import ValidationError

    path = config_file(file)
    data = read_config(path, environ)
    try:
        config = RepoConfig(**data)
    except (ValidationError, ValueError) as exc:
        raise FeatureStoreConfigError(path, f"is not a valid Feast configuration: {exc}", "compare it with feature_repo/feature_store.yaml") from exc
    config.repo_path = feast_home()
    return config

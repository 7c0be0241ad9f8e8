"""MLflow tracking and model registry, with the server URI from an Airflow connection.

The embedded default starts an MLflow server on loopback and exports the
connection `mlflow_default`; elsewhere operators point the connection at
their tracking server. Aliases (`champion`, `challenger`), never stages.

"Not there" and "could not ask" are different answers. A missing model or
alias is a fact the pipeline acts on (a first model is promoted); any other
registry error (server down, 5xx, timeout) raises `RegistryUnavailable`, which
Airflow retries with backoff, and nothing in the registry is changed on it.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

from airflow.sdk import BaseHook

from modelfleet.hooks.service_url import service_url

CHAMPION = "champion"
CHALLENGER = "challenger"


class RegistryUnavailable(RuntimeError):
    """The registry could not answer; the task fails and is retried, and decides nothing meanwhile."""


def is_not_found(exc: Exception) -> bool:
    """Whether an MLflow error means "no such model or alias" rather than "could not ask".

    MLflow answers a missing registered model with RESOURCE_DOES_NOT_EXIST and
    a missing alias of an existing model with INVALID_PARAMETER_VALUE and the
    message "Registered model alias <alias> not found."
    """
    code = getattr(exc, "error_code", None)
    if code == "RESOURCE_DOES_NOT_EXIST":
        return True
    message = str(getattr(exc, "message", exc))
    return code == "INVALID_PARAMETER_VALUE" and "alias" in message and "not found" in message


class MlflowRegistryHook(BaseHook):
    conn_name_attr = "mlflow_conn_id"
    default_conn_name = "mlflow_default"
    conn_type = "http"
    hook_name = "MLflow tracking and registry"

    def __init__(self, *, mlflow_conn_id: str = default_conn_name, tracking_uri: str | None = None) -> None:
        super().__init__()
        self.mlflow_conn_id = mlflow_conn_id
        self._explicit_uri = tracking_uri

    @cached_property
    def tracking_uri(self) -> str:
        if self._explicit_uri:
            return self._explicit_uri
        return service_url(self, self.mlflow_conn_id, "MLFLOW_TRACKING_URI", "MLflow tracking server")

    @cached_property
    def client(self) -> Any:
        from mlflow import MlflowClient

        return MlflowClient(tracking_uri=self.tracking_uri, registry_uri=self.tracking_uri)

    def activate(self) -> None:
        """Point the fluent mlflow API (start_run, log_model) at this server."""
        import mlflow

        mlflow.set_tracking_uri(self.tracking_uri)
        mlflow.set_registry_uri(self.tracking_uri)

    def alias_version(self, name: str, alias: str) -> Any | None:
        """The version `alias` points at; None only when the model or the alias does not exist."""
        from mlflow.exceptions import MlflowException

        try:
            return self.client.get_model_version_by_alias(name, alias)
        except MlflowException as exc:
            if is_not_found(exc):
                return None
            raise RegistryUnavailable(f"cannot read {name}@{alias} from the registry at {self.tracking_uri}: {exc}") from exc

    def ensure_registered_model(self, name: str, tags: dict[str, str]) -> None:
        from mlflow.exceptions import MlflowException

        try:
            self.client.get_registered_model(name)
        except MlflowException as exc:
            if not is_not_found(exc):
                raise RegistryUnavailable(f"cannot read model {name} from the registry at {self.tracking_uri}: {exc}") from exc
            self.client.create_registered_model(name, tags=tags)

    def version_for_logical_date(self, name: str, logical_date: str) -> Any | None:
        """The version a previous run of this logical date registered, if any (idempotent reruns)."""
        for version in self.client.search_model_versions(f"name='{name}'"):
            if version.tags.get("logical_date") == logical_date:
                return version
        return None

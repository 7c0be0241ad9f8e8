"""The platform's model server (modelfleet.serving), over HTTP, from an Airflow connection.

The embedded default starts the server on loopback and exports the
connection `model_server_default`; elsewhere operators point it at their
serving deployment.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

from airflow.sdk import BaseHook

from modelfleet.hooks.service_url import service_url

STAGE_TIMEOUT_S = 300.0
"""Loading a version downloads its artifacts: allow minutes, not seconds."""


class ModelServerError(RuntimeError):
    """The server answered, and refused: `status` and its reason."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(f"model server answered {status}: {detail}")
        self.status = status
        self.detail = detail


class ModelServerUnavailable(RuntimeError):
    """No answer from the server (down, restarting): retried, and nothing was switched."""


class ModelServerHook(BaseHook):
    conn_name_attr = "model_server_conn_id"
    default_conn_name = "model_server_default"
    conn_type = "http"
    hook_name = "modelfleet model server"

    def __init__(self, *, model_server_conn_id: str = default_conn_name, base_url: str | None = None,
                 timeout: float = 30.0) -> None:
        super().__init__()
        self.model_server_conn_id = model_server_conn_id
        self._explicit_url = base_url
        self.timeout = timeout

    @cached_property
    def base_url(self) -> str:
        if self._explicit_url:
            return self._explicit_url.rstrip("/")
        return service_url(self, self.model_server_conn_id, "MODELFLEET_SERVING_URL", "model server for online models",
                           " (`modelfleet up` starts one and defines the connection)")

    def _call(self, method: str, path: str, json: Any = None, timeout: float | None = None) -> Any:
        import httpx

        try:
            response = httpx.request(method, f"{self.base_url}{path}", json=json, timeout=timeout or self.timeout)
        except httpx.TransportError as exc:
            raise ModelServerUnavailable(f"model server at {self.base_url} did not answer {method} {path}: {exc!r}") from exc
        if response.status_code >= 400:
            try:
                detail = response.json().get("detail", response.text)
            except ValueError:
                detail = response.text
            raise ModelServerError(response.status_code, str(detail))
        return response.json()

    def stage(self, name: str, version: str) -> dict[str, Any]:
        """Load `version` next to the live one; it answers only when asked for by version."""
        return self._call("PUT", f"/v1/models/{name}/versions/{version}", timeout=STAGE_TIMEOUT_S)

    def switch(self, name: str, version: str) -> dict[str, Any]:
        """Make a staged version live in one step; returns the version it replaced."""
        return self._call("PUT", f"/v1/models/{name}/live", json={"version": version})

    def predict(self, name: str, entities: list[dict[str, Any]], version: str | None = None) -> dict[str, Any]:
        path = f"/v1/models/{name}/versions/{version}/predict" if version else f"/v1/models/{name}/predict"
        return self._call("POST", path, json={"entities": entities})

    def models(self) -> list[dict[str, Any]]:
        return self._call("GET", "/v1/models")

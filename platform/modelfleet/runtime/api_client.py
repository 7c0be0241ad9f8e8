"""A small client for Airflow's public REST API (v2), authenticated as the embedded admin."""

from __future__ import annotations

import json
from functools import cached_property
from typing import Any

import httpx
from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_exponential

from modelfleet.runtime.config import ADMIN_USER, EmbeddedConfig


class AirflowApiError(RuntimeError):
    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


def _transient(exc: BaseException) -> bool:
    """SQLite answers 'database is locked' as a 500 under load; connection resets happen on restarts."""
    return isinstance(exc, httpx.TransportError) or (isinstance(exc, AirflowApiError) and exc.status in (500, 502, 503))


class AirflowApi:
    def __init__(self, config: EmbeddedConfig, timeout: float = 30.0) -> None:
        self.config = config
        self.http = httpx.Client(base_url=config.api_url, timeout=timeout)

    @cached_property
    def token(self) -> str:
        passwords = json.loads(self.config.passwords_file.read_text())
        response = self.http.post("/auth/token", json={"username": ADMIN_USER, "password": passwords[ADMIN_USER]})
        if response.status_code >= 400:
            raise AirflowApiError(f"login to {self.config.api_url} failed: {response.status_code} {response.text[:200]}")
        return response.json()["access_token"]

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        for attempt in Retrying(retry=retry_if_exception(_transient), stop=stop_after_attempt(6),
                                wait=wait_exponential(multiplier=0.5, max=8), reraise=True):
            with attempt:
                return self._request_once(method, path, **kwargs)
        raise AssertionError("unreachable")

    def _request_once(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.http.request(method, f"/api/v2{path}", headers={"Authorization": f"Bearer {self.token}"}, **kwargs)
        if response.status_code >= 400:
            raise AirflowApiError(f"{method} {path}: {response.status_code} {response.text[:300]}", response.status_code)
        return response.json() if response.content else None

    def health(self) -> dict[str, Any]:
        return self.http.get("/api/v2/monitor/health").json()

    def dag_ids(self) -> set[str]:
        return set(self.paused_by_dag())

    def paused_by_dag(self) -> dict[str, bool]:
        """Every parsed DAG and whether it is paused."""
        return {d["dag_id"]: d["is_paused"] for d in self._pages("/dags", "dags", {})}

    def import_errors(self) -> list[dict[str, Any]]:
        return self.request("GET", "/importErrors", params={"limit": 100})["import_errors"]

    def set_paused(self, dag_id: str, paused: bool) -> None:
        self.request("PATCH", f"/dags/{dag_id}", json={"is_paused": paused})

    def get_run(self, dag_id: str, run_id: str) -> dict[str, Any] | None:
        try:
            return self.request("GET", f"/dags/{dag_id}/dagRuns/{run_id}")
        except AirflowApiError as exc:
            if exc.status == 404:
                return None
            raise

    def trigger(self, dag_id: str, run_id: str, logical_date: str, conf: dict[str, Any] | None = None) -> dict[str, Any] | None:
        """Create the run; a 409 (it exists, e.g. an earlier attempt got through) is not an error."""
        try:
            return self.request("POST", f"/dags/{dag_id}/dagRuns", json={"dag_run_id": run_id, "logical_date": logical_date, "conf": conf or {}})
        except AirflowApiError as exc:
            if exc.status == 409:
                return None
            raise

    def clear_failed(self, dag_id: str, run_id: str) -> None:
        self.request("POST", f"/dags/{dag_id}/clearTaskInstances", json={
            "dry_run": False, "dag_run_id": run_id, "only_failed": True, "reset_dag_runs": True,
        })

    def runs_with_id(self, run_id: str) -> list[dict[str, Any]]:
        """The runs of every DAG that have this run id, in one listing."""
        found = self._pages("/dags/~/dagRuns", "dag_runs", {"run_id_pattern": run_id})
        return [r for r in found if r["dag_run_id"] == run_id]  # the pattern is a LIKE: `_` matches any character

    def task_instances(self, run_id: str) -> list[dict[str, Any]]:
        """The task instances of every run with this run id.

        A GET, as every call that polls must be: Airflow audit-logs POSTs, and
        on SQLite each audit write can stall the API server (see
        EmbeddedConfig.component_environment).
        """
        found = self._pages("/dags/~/dagRuns/~/taskInstances", "task_instances", {"run_id_pattern": run_id})
        return [t for t in found if t["dag_run_id"] == run_id]

    def xcom(self, dag_id: str, run_id: str, task_id: str, key: str = "return_value") -> Any | None:
        """A task's XCom value (None when it has none), by GET: reading it is never audited."""
        try:
            entry = self.request("GET", f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}/xcomEntries/{key}")
        except AirflowApiError as exc:
            if exc.status == 404:
                return None
            raise
        value = entry["value"]
        return json.loads(value) if isinstance(value, str) else value

    def _pages(self, path: str, key: str, params: dict[str, Any], limit: int = 100) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        while True:
            page = self.request("GET", path, params={**params, "limit": limit, "offset": len(found)})
            found.extend(page[key])
            if not page[key] or len(found) >= page["total_entries"]:
                return found

"""The Fleet page's FastAPI app, mounted by Airflow's API server at /fleet (modelfleet.fleet_view.plugin).

Every route takes Airflow's own login: `GetUserDep` reads the JWT the UI
keeps in its `_token` cookie (or an `Authorization: Bearer` header), so the
page in the UI's iframe needs no second sign-in, and an anonymous request is
answered 401. What a user sees is cut to the DAGs the auth manager lets them
read. Endpoints (OpenAPI at /fleet/docs):

| route | answers |
|---|---|
| `GET /fleet/` | the page (HTML; it calls the two endpoints below) |
| `GET /fleet/api/fleet` | `FleetView`: per team, pipelines with last run, 7-day success, champions and metric trend, drift, dead letters |
| `GET /fleet/api/gpus` | `GpuView`: devices with live leases, each team's guarantee, use and borrowing, 24 hours of leases |
| `GET /fleet/api/traces/{trace_id}` | the spans of one DAG run's trace, as the platform's trace receiver kept them |
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from fastapi import FastAPI, HTTPException
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

from airflow.api_fastapi.common.db.common import SessionDep
from airflow.api_fastapi.core_api.security import GetUserDep
from modelfleet.fleet_view.registry import CachedModels
from modelfleet.fleet_view.schema import FleetView, GpuView

URL_PREFIX = "/fleet"
STATIC = Path(__file__).resolve().parent / "static"

registry_cache = CachedModels()
"""MLflow's answer for every request of this API server, at most MAX_AGE_S old (read again behind the requests)."""

app = FastAPI(title="modelfleet Fleet", description="The fleet at a glance, inside the Airflow UI (docs/oncall.md#the-fleet-page).",
              docs_url="/docs", openapi_url="/openapi.json")
app.mount("/static", StaticFiles(directory=STATIC), name="static")


def _allowed(user: Any, session: Any) -> set[str]:
    """The DAG ids this user may read, as Airflow's configured auth manager answers."""
    from airflow.api_fastapi.app import get_auth_manager

    return get_auth_manager().get_authorized_dag_ids(user=user, method="GET", session=session)


def _base_url() -> str:
    from airflow.configuration import conf

    return conf.get("api", "base_url", fallback="") or ""


def _trace_url(trace_id: str) -> str:
    return f"{_base_url().rstrip('/')}{URL_PREFIX}/api/traces/{trace_id}"


@app.get("/", include_in_schema=False)
def page(user: GetUserDep) -> FileResponse:
    return FileResponse(STATIC / "fleet.html", headers={"Cache-Control": "no-store"})


@app.get("/api/fleet", response_model=FleetView)
def fleet(user: GetUserDep, session: SessionDep) -> FleetView:
    from modelfleet.fleet_view.assemble import fleet_view

    return fleet_view(session, base_url=_base_url(), mlflow_url=os.environ.get("MLFLOW_TRACKING_URI"),
                      allowed=_allowed(user, session), trace_url=_trace_url, read_registry=registry_cache)


@app.get("/api/gpus", response_model=GpuView)
def gpus(user: GetUserDep, session: SessionDep) -> GpuView:
    from modelfleet.fleet_view.assemble import gpu_view

    return gpu_view(session, allowed=_allowed(user, session))


@app.get("/api/traces/{trace_id}")
def trace(trace_id: str, user: GetUserDep, session: SessionDep) -> list[dict[str, Any]]:
    """One trace's spans; 404 when unknown or when it belongs to a DAG the user may not read."""
    from modelfleet import paths
    from modelfleet.lineage.otlp_receiver import spans_of_trace

    if len(trace_id) != 32 or any(c not in "0123456789abcdefABCDEF" for c in trace_id):
        raise HTTPException(400, "a trace id is 32 hex digits")
    spans = spans_of_trace(paths.state_dir() / "traces" / "spans.jsonl", trace_id)
    dags = {s["attributes"].get("airflow.dag_id") for s in spans} - {None}
    if not spans or not dags <= _allowed(user, session):
        raise HTTPException(404, f"no trace {trace_id} kept by the platform's trace receiver")
    return spans

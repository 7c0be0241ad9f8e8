"""The plugin's routes with an auth manager that has per-DAG permissions: a user sees nothing of a team they may not read.

The embedded platform's simple auth manager lets every user read every DAG, so this takes one that does not: it
grants a user the DAGs of the teams named on them. Airflow's own `get_authorized_dag_ids` asks it, as in the API server.
"""

from __future__ import annotations

from typing import Any

import pytest
from support.small_fleet import DAGS, SmallFleet

from airflow.api_fastapi.auth.managers.simple.simple_auth_manager import SimpleAuthManager
from airflow.api_fastapi.auth.managers.simple.user import SimpleAuthManagerUser


class TeamDagsAuthManager(SimpleAuthManager):
    """Reads of a DAG allowed to the users of its team (`<team>__...`), as a per-DAG auth manager (FAB, Keycloak) can."""

    def is_authorized_dag(self, *, method: str, user: SimpleAuthManagerUser, access_entity: Any = None, details: Any = None) -> bool:
        return details is not None and details.id is not None and details.id.split("__", 1)[0] in user.teams


@pytest.fixture
def client_as(small_fleet: SmallFleet, monkeypatch: pytest.MonkeyPatch):
    from fastapi.testclient import TestClient

    import airflow.api_fastapi.app as airflow_app
    from airflow.api_fastapi.core_api.security import get_user
    from modelfleet.fleet_view import app as fleet_app

    monkeypatch.setattr(airflow_app, "get_auth_manager", lambda: TeamDagsAuthManager())
    monkeypatch.setenv("MLFLOW_TRACKING_URI", small_fleet.mlflow_url)

    def make(user: SimpleAuthManagerUser) -> TestClient:
        fleet_app.app.dependency_overrides[get_user] = lambda: user
        return TestClient(fleet_app.app)

    yield make
    fleet_app.app.dependency_overrides.clear()


def test_a_user_of_one_team_sees_only_that_teams_pipelines_and_not_whose_gpu_lease_it_is(client_as, lease: object) -> None:
    client = client_as(SimpleAuthManagerUser(username="lee", role="viewer", teams=["lending"]))
    fleet = client.get("/api/fleet").raise_for_status().json()
    assert [t["id"] for t in fleet["tenants"] if any(p["dag_id"] in DAGS for p in t["pipelines"])] == ["lending"]
    assert all(p["dag_id"].startswith("lending__") for t in fleet["tenants"] for p in t["pipelines"])
    gpus = client.get("/api/gpus").raise_for_status().json()
    held = [d["lease"] for d in gpus["devices"] if d["lease"] is not None]
    assert held and all(h["dag_id"] == "" and h["tenant"] == "another team" for h in held)  # payments' lease: busy, not whose
    assert "payments" not in {t["tenant"] for t in gpus["tenants"]}


def test_a_trace_of_a_dag_the_user_may_not_read_is_not_found(client_as, tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    import json

    from support.small_fleet import TRACE

    monkeypatch.setenv("MODELFLEET_HOME", str(tmp_path))
    (tmp_path / "traces").mkdir()
    span = {"trace_id": TRACE, "span_id": "1", "name": "dag_run.payments__fv_fraud", "start_ns": 1,
            "attributes": {"airflow.dag_id": "payments__fv_fraud"}}
    (tmp_path / "traces" / "spans.jsonl").write_text(json.dumps(span) + "\n")
    assert client_as(SimpleAuthManagerUser(username="lee", role="viewer", teams=["lending"])).get(f"/api/traces/{TRACE}").status_code == 404
    found = client_as(SimpleAuthManagerUser(username="pat", role="viewer", teams=["payments"])).get(f"/api/traces/{TRACE}")
    assert found.status_code == 200 and [s["name"] for s in found.json()] == ["dag_run.payments__fv_fraud"]

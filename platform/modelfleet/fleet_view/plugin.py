"""The Airflow plugin that adds the Fleet page: a FastAPI app mounted by the API server, shown in the UI's navigation.

Airflow loads it from the repository's `plugins/` folder (`[core] plugins_folder`, set by the runtime and the Helm
values). The page opens in the UI's own frame (`url_route`), so it takes the UI's login.
"""

from __future__ import annotations

from airflow.plugins_manager import AirflowPlugin


class FleetViewPlugin(AirflowPlugin):
    name = "modelfleet_fleet"

    @property
    def fastapi_apps(self) -> list[dict]:  # type: ignore[override]
        from modelfleet.fleet_view.app import URL_PREFIX, app

        return [{"app": app, "url_prefix": URL_PREFIX, "name": "modelfleet Fleet"}]

    external_views = [{
        "name": "Fleet", "href": "fleet/", "url_route": "fleet", "destination": "nav", "category": None,
    }]

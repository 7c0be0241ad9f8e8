"""Airflow plugins folder (`[core] plugins_folder`): the Fleet page (modelfleet.fleet_view.plugin)."""

from modelfleet.fleet_view.plugin import FleetViewPlugin

__all__ = ["FleetViewPlugin"]

"""Supply-chain data against the team's specs, with the checks every team shares (modelfleet.testing.tenant_data).

An inflationary season is the drift we simulate: demand levels, trucks'
loads, port congestion and weather all move, and the shipment-delay
model's weather-severity mean rule has to catch it.
"""

from modelfleet.testing.tenant_data import TenantDataTests

from supplychain import datagen


class TestSupplyChainData(TenantDataTests):
    team = "supplychain"
    datagen = datagen
    drifting = {
        "store_sku_demand": "rolling_28d_mean_units",  # promotion-driven demand
        "warehouse_inbound": "avg_pallets_per_truck",  # trucks leave less full
        "supplier_orders": "port_congestion_index",  # ports congest
        "shipments": "weather_severity",  # worse weather on the lanes
    }
    drift_alarms = {"shipments": "weather_severity"}

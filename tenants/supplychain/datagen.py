"""Synthetic, deterministic demand and logistics data for the supply-chain team.

Every generator has the same signature and returns one day of data:

    f(logical_date, rows=2000, seed=0, drift=0.0, bad_rows=0.0) -> DataFrame

Same arguments give an identical frame. `drift` (0..1) raises prices and
congestion and makes demand more promotion-driven, as an inflationary
season would; `bad_rows` (fraction) spoils rows in ways the model specs'
validation rules catch: nulls, out-of-range values, unknown categories and
duplicate events.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from modelfleet.synthetic import day_rng, distinct_ids, logistic_label, spoil, utc_timestamps

REGIONS = ["north", "south", "east", "west"]
ZONES = ["ambient", "chilled", "frozen", "bulky"]
COUNTRIES = ["cn", "vn", "mx", "us", "de"]
MODES = ["sea", "air", "road", "rail"]
CARRIERS = ["dhl", "ups", "fedex", "maersk", "regional"]


def store_sku_demand(
    logical_date: dt.date, rows: int = 2000, seed: int = 0, drift: float = 0.0, bad_rows: float = 0.0
) -> pd.DataFrame:
    """Store x SKU day with lags, price and promotion; label `units_sold` (the day's demand)."""
    rng = day_rng("store_sku_demand", logical_date, seed)
    region = rng.choice(REGIONS, rows)
    base = rng.lognormal(3.4 + 0.3 * drift, 0.6, rows)  # a SKU's typical daily units at a store
    rolling = np.round(base * rng.lognormal(0, 0.08, rows), 2)
    lag_7d = np.round(base * rng.lognormal(0, 0.15, rows), 2)
    list_price = rng.lognormal(1.6, 0.5, rows)
    promo = rng.random(rows) < 0.15 + 0.15 * drift
    price = np.round(list_price * (1 + 0.15 * drift) * np.where(promo, 0.75, 1.0), 2)
    seasonal = {"north": -2.0, "south": 9.0, "east": 3.0, "west": 6.0}
    temperature = np.round(np.vectorize(seasonal.get)(region) + rng.normal(0, 5, rows), 1)
    facings = rng.integers(1, 9, rows)
    stock = rng.poisson(base * 3).astype("int64") + 1
    demand = (
        0.55 * rolling + 0.45 * lag_7d
    ) * np.exp(-0.8 * np.log(price / list_price)) * (1 + (0.35 + 0.4 * drift) * promo) * (1 + 0.04 * facings) * (
        1 + 0.01 * temperature
    )
    units = np.round(np.clip(np.minimum(demand * rng.lognormal(0, 0.12, rows), stock), 1, None), 1)
    frame = pd.DataFrame({
        "store_id": rng.integers(100, 999, rows).astype("int64"),
        "sku_id": distinct_ids(rng, rows, 100_000),
        "event_timestamp": utc_timestamps(rng, logical_date, rows),
        "region": region,
        "price": price,
        "list_price": np.round(list_price, 2),
        "on_promo": promo,
        "lag_7d_units": lag_7d,
        "rolling_28d_mean_units": rolling,
        "temperature_c": temperature,
        "shelf_facings": facings.astype("int64"),
        "stock_on_hand": stock,
        "units_sold": units,
    })
    return spoil(
        frame, rng, bad_rows,
        nulls=["price", "lag_7d_units", "event_timestamp"],
        out_of_range={"price": -1.0, "units_sold": -4.0, "temperature_c": 85.0},
        unknown={"region": "central"},
    )


def warehouse_inbound(
    logical_date: dt.date, rows: int = 2000, seed: int = 0, drift: float = 0.0, bad_rows: float = 0.0
) -> pd.DataFrame:
    """Supplier-to-warehouse lanes; label `inbound_pallets` (pallets received next day)."""
    rng = day_rng("warehouse_inbound", logical_date, seed)
    zone = rng.choice(ZONES, rows, p=[0.5, 0.25, 0.15, 0.1])
    trucks = rng.poisson(4, rows)
    per_truck = np.round(rng.normal(26 - 4 * drift, 3, rows).clip(5, 33), 1)
    open_pos = rng.poisson(8, rows)
    lag_1d = np.round(rng.gamma(4, 25, rows), 1)
    lag_7d = np.round(lag_1d * rng.lognormal(0, 0.2, rows), 1)
    season = np.round(rng.uniform(0.8, 1.3 + 0.3 * drift, rows), 3)
    pallets = np.round(np.clip(
        (0.7 * trucks * per_truck + 0.15 * lag_1d + 0.1 * lag_7d + 2.0 * open_pos) * season * (1 - 0.2 * (zone == "frozen"))
        + rng.normal(0, 8, rows), 0, None), 1)
    frame = pd.DataFrame({
        "lane_id": distinct_ids(rng, rows, 60_000),
        "event_timestamp": utc_timestamps(rng, logical_date, rows),
        "warehouse_zone": zone,
        "scheduled_trucks": trucks.astype("int64"),
        "avg_pallets_per_truck": per_truck,
        "open_purchase_orders": open_pos.astype("int64"),
        "lag_1d_pallets": lag_1d,
        "lag_7d_pallets": lag_7d,
        "season_index": season,
        "inbound_pallets": pallets,
    })
    return spoil(
        frame, rng, bad_rows,
        nulls=["lag_1d_pallets", "season_index", "event_timestamp"],
        out_of_range={"scheduled_trucks": -2, "avg_pallets_per_truck": 60.0, "inbound_pallets": -30.0},
        unknown={"warehouse_zone": "outdoor"},
    )


def supplier_orders(
    logical_date: dt.date, rows: int = 2000, seed: int = 0, drift: float = 0.0, bad_rows: float = 0.0
) -> pd.DataFrame:
    """Purchase orders placed today; label `lead_time_days` (order to receipt)."""
    rng = day_rng("supplier_orders", logical_date, seed)
    country = rng.choice(COUNTRIES, rows, p=[0.35, 0.15, 0.2, 0.2, 0.1])
    mode = rng.choice(MODES, rows, p=[0.45, 0.1, 0.35, 0.1])
    distance = np.round(np.select(
        [np.isin(country, ["cn", "vn"]), country == "de", country == "mx"],
        [rng.normal(11_000, 1_500, rows), rng.normal(7_000, 800, rows), rng.normal(2_500, 600, rows)],
        rng.normal(1_200, 500, rows)).clip(50, None), 0)
    quantity = rng.integers(10, 5_000, rows)
    on_time = np.round(rng.beta(8, 2, rows), 3)
    congestion = np.round(rng.beta(2, 5 - 2 * drift, rows), 3)
    expedited = rng.random(rows) < 0.1
    speed = {"sea": 550.0, "air": 6_000.0, "road": 600.0, "rail": 800.0}  # km per day, door to door
    transit = distance / np.vectorize(speed.get)(mode)
    lead = np.round(np.clip(
        (2 + transit + 0.0006 * quantity + (6 + 10 * drift) * congestion * (mode == "sea") + 6 * (1 - on_time))
        * np.where(expedited, 0.7, 1.0) * rng.lognormal(0, 0.1, rows), 1, None), 1)
    frame = pd.DataFrame({
        "purchase_order_id": distinct_ids(rng, rows, 8_000_000),
        "event_timestamp": utc_timestamps(rng, logical_date, rows),
        "supplier_country": country,
        "transport_mode": mode,
        "distance_km": distance,
        "order_quantity": quantity.astype("int64"),
        "supplier_on_time_rate_90d": on_time,
        "port_congestion_index": congestion,
        "is_expedited": expedited,
        "lead_time_days": lead,
    })
    return spoil(
        frame, rng, bad_rows,
        nulls=["distance_km", "supplier_on_time_rate_90d", "event_timestamp"],
        out_of_range={"supplier_on_time_rate_90d": 1.3, "order_quantity": 0, "lead_time_days": -2.0},
        unknown={"supplier_country": "xx", "transport_mode": "teleport"},
    )


def shipments(
    logical_date: dt.date, rows: int = 2000, seed: int = 0, drift: float = 0.0, bad_rows: float = 0.0
) -> pd.DataFrame:
    """Outbound shipments dispatched today; label `delayed` (arrives after the promised date)."""
    rng = day_rng("shipments", logical_date, seed)
    carrier = rng.choice(CARRIERS, rows, p=[0.25, 0.25, 0.2, 0.1, 0.2])
    mode = rng.choice(MODES, rows, p=[0.1, 0.15, 0.65, 0.1])
    distance = np.round(rng.lognormal(6.0, 1.0, rows), 0)
    weight = np.round(rng.lognormal(2.5, 1.2, rows), 2)
    planned = rng.integers(1, 10, rows)
    carrier_otr = np.round(rng.beta(9, 1.5, rows), 3)
    weather = np.round(rng.beta(1.5, 6 - 3 * drift, rows), 3)
    congestion = np.round(rng.beta(2, 5, rows), 3)
    cross_border = rng.random(rows) < 0.2
    risk = (
        0.5 * np.log(distance) - 0.25 * planned * (mode != "air")
        - 6.0 * carrier_otr
        + (2.5 + 1.5 * drift) * weather
        + 2.0 * congestion
        + 0.9 * cross_border
        + 0.5 * (carrier == "regional")
        + 0.1 * np.log1p(weight)
    )
    frame = pd.DataFrame({
        "shipment_id": distinct_ids(rng, rows, 70_000_000),
        "event_timestamp": utc_timestamps(rng, logical_date, rows),
        "carrier": carrier,
        "transport_mode": mode,
        "distance_km": distance,
        "weight_kg": weight,
        "planned_transit_days": planned.astype("int64"),
        "carrier_on_time_rate_30d": carrier_otr,
        "weather_severity": weather,
        "origin_congestion": congestion,
        "is_cross_border": cross_border,
        "delayed": logistic_label(rng, risk, 0.08 + 0.05 * drift),
    })
    return spoil(
        frame, rng, bad_rows,
        nulls=["distance_km", "weather_severity", "event_timestamp"],
        out_of_range={"weight_kg": -3.0, "weather_severity": 1.6, "planned_transit_days": 0},
        unknown={"carrier": "owl_post", "transport_mode": "teleport"},
    )

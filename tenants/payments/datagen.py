"""Synthetic, deterministic card-payment data for the payments team's pipelines.

Every generator has the same signature and returns one day of data:

    f(logical_date, rows=2000, seed=0, drift=0.0, bad_rows=0.0) -> DataFrame

Same arguments give an identical frame. `drift` (0..1) moves feature
distributions and the fraud pattern the way a shifting fraud ring would;
`bad_rows` (fraction) spoils rows in ways the model specs' validation rules
catch: nulls, out-of-range values, unknown categories and duplicate events.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from modelfleet.synthetic import day_rng, distinct_ids, logistic_label, spoil, utc_timestamps

REGIONS = ["na", "eu", "apac"]
MERCHANT_CATEGORIES = ["grocery", "fuel", "restaurants", "travel", "electronics", "online_retail", "gambling"]
CHANNELS = ["chip", "contactless", "online", "manual"]
DEVICE_OS = ["ios", "android", "windows", "macos", "linux"]


def card_transactions(
    logical_date: dt.date, rows: int = 2000, seed: int = 0, drift: float = 0.0, bad_rows: float = 0.0
) -> pd.DataFrame:
    """Card authorisations with velocity features; label `is_fraud` (~7% after sampling)."""
    rng = day_rng("card_transactions", logical_date, seed)
    ts = utc_timestamps(rng, logical_date, rows)
    region = rng.choice(REGIONS, rows, p=[0.4, 0.35, 0.25])
    category = rng.choice(MERCHANT_CATEGORIES, rows, p=[0.25, 0.15, 0.2, 0.08, 0.1, 0.17, 0.05])
    channel = rng.choice(CHANNELS, rows, p=[0.35 - 0.15 * drift, 0.35, 0.25 + 0.15 * drift, 0.05])
    avg_amount = np.round(rng.lognormal(3.7, 0.6, rows), 2)
    # Drift: fraudsters move to larger tickets far from home.
    amount = np.round(np.clip(avg_amount * rng.lognormal(0.0 + 0.5 * drift, 0.8, rows), 0.5, 20_000), 2)
    distance = np.round(rng.exponential(12.0 * (1 + drift), rows), 2)
    count_1h = rng.poisson(0.6, rows)
    count_24h = count_1h + rng.poisson(3.0, rows)
    card_age = rng.integers(1, 4_000, rows)
    international = rng.random(rows) < 0.06 + 0.06 * drift
    hour = ts.dt.hour.to_numpy()
    risk = (
        1.1 * np.log(amount / avg_amount)
        + 0.7 * count_1h
        + 0.8 * np.log1p(distance) * (0.6 + 0.4 * drift)
        + (1.3 - 0.8 * drift) * international
        + np.select([category == "electronics", category == "gambling", category == "travel"], [0.9, 1.3, 0.5], 0.0)
        + np.select([channel == "online", channel == "manual"], [0.8 + 0.6 * drift, 1.1], 0.0)
        + 0.7 * (hour < 5)
        - 0.0004 * card_age
    )
    frame = pd.DataFrame({
        "card_id": distinct_ids(rng, rows, 4_000_000),
        "event_timestamp": ts,
        "region": region,
        "amount": amount,
        "merchant_category": category,
        "channel": channel,
        "hour_of_day": hour.astype("int64"),
        "distance_from_home_km": distance,
        "txn_count_1h": count_1h.astype("int64"),
        "txn_count_24h": count_24h.astype("int64"),
        "avg_amount_30d": avg_amount,
        "card_age_days": card_age.astype("int64"),
        "is_international": international,
        "is_fraud": logistic_label(rng, risk, 0.03 + 0.02 * drift),
    })
    return spoil(
        frame, rng, bad_rows,
        nulls=["amount", "event_timestamp", "distance_from_home_km"],
        out_of_range={"amount": -25.0, "hour_of_day": 27, "card_age_days": -3},
        unknown={"merchant_category": "crypto_atm", "channel": "carrier_pigeon", "region": "mars"},
    )


def merchant_daily(
    logical_date: dt.date, rows: int = 2000, seed: int = 0, drift: float = 0.0, bad_rows: float = 0.0
) -> pd.DataFrame:
    """Daily merchant aggregates; label `high_chargeback_risk` (chargebacks above 1% next 30 days)."""
    rng = day_rng("merchant_daily", logical_date, seed)
    category = rng.choice(MERCHANT_CATEGORIES, rows)
    onboarded = rng.integers(1, 3_000, rows)
    txn_count = rng.poisson(rng.lognormal(4.0, 1.0, rows)) + 1
    ticket = np.round(rng.lognormal(3.5 + 0.3 * drift, 0.7, rows), 2)
    refund_rate = np.round(np.clip(rng.beta(2, 40 - 15 * drift, rows), 0, 1), 4)
    history = rng.beta(1.5, 150, rows)
    chargeback_90d = np.where(onboarded < 90, np.nan, np.round(history, 5))  # new merchants have no history
    country_risk = np.round(rng.beta(2, 5, rows), 3)
    risk = (
        25.0 * refund_rate
        + 250.0 * np.nan_to_num(chargeback_90d, nan=0.01)
        + 2.0 * country_risk
        + 0.8 * (onboarded < 90)
        + np.select([category == "gambling", category == "electronics", category == "travel"], [1.2, 0.6, 0.4], 0.0)
        - 0.25 * np.log(txn_count)
        + 0.3 * drift * np.log(ticket / 30)
    )
    frame = pd.DataFrame({
        "merchant_id": distinct_ids(rng, rows, 700_000),
        "event_timestamp": utc_timestamps(rng, logical_date, rows),
        "merchant_category": category,
        "txn_count": txn_count.astype("int64"),
        "daily_volume_usd": np.round(txn_count * ticket, 2),
        "avg_ticket_usd": ticket,
        "refund_rate": refund_rate,
        "chargeback_rate_90d": chargeback_90d,
        "country_risk_score": country_risk,
        "days_since_onboarding": onboarded.astype("int64"),
        "high_chargeback_risk": logistic_label(rng, risk, 0.08),
    })
    return spoil(
        frame, rng, bad_rows,
        nulls=["refund_rate", "daily_volume_usd", "event_timestamp"],
        out_of_range={"refund_rate": 1.7, "country_risk_score": -0.4, "txn_count": -12},
        unknown={"merchant_category": "unknown_mcc"},
    )


def login_events(
    logical_date: dt.date, rows: int = 2000, seed: int = 0, drift: float = 0.0, bad_rows: float = 0.0
) -> pd.DataFrame:
    """Login sessions with device and network risk signals; label `is_takeover`."""
    rng = day_rng("login_events", logical_date, seed)
    device_os = rng.choice(DEVICE_OS, rows, p=[0.32, 0.38, 0.18, 0.1, 0.02])
    failed = rng.poisson(0.3 + 0.5 * drift, rows)
    new_device = rng.random(rows) < 0.12 + 0.1 * drift
    ip_risk = np.round(rng.beta(1.5, 6 - 2 * drift, rows), 4)
    velocity = np.round(rng.exponential(40.0, rows) * (1 + 20 * (rng.random(rows) < 0.03)), 1)
    resets = rng.poisson(0.05, rows)
    session = np.round(rng.gamma(2.0, 6.0, rows), 2)
    account_age = rng.integers(1, 5_000, rows)
    risk = (
        0.7 * failed
        + (1.4 - 0.6 * drift) * new_device
        + 3.5 * ip_risk
        + 0.9 * np.log1p(velocity / 100)
        + 1.2 * resets
        - 0.04 * session
        - 0.0003 * account_age
        + 0.5 * (device_os == "linux")
    )
    frame = pd.DataFrame({
        "account_id": distinct_ids(rng, rows, 10_000_000),
        "event_timestamp": utc_timestamps(rng, logical_date, rows),
        "device_os": device_os,
        "failed_logins_1h": failed.astype("int64"),
        "new_device": new_device,
        "ip_risk_score": ip_risk,
        "geo_velocity_kmh": velocity,
        "password_resets_24h": resets.astype("int64"),
        "session_minutes": session,
        "account_age_days": account_age.astype("int64"),
        "is_takeover": logistic_label(rng, risk, 0.03),
    })
    return spoil(
        frame, rng, bad_rows,
        nulls=["ip_risk_score", "session_minutes", "event_timestamp"],
        out_of_range={"ip_risk_score": 3.5, "failed_logins_1h": -1, "session_minutes": -10.0},
        unknown={"device_os": "playstation"},
    )

"""Synthetic, deterministic subscriber data for the retention team's pipelines.

Every generator has the same signature and returns one day of data:

    f(logical_date, rows=2000, seed=0, drift=0.0, bad_rows=0.0) -> DataFrame

Same arguments give an identical frame. `drift` (0..1) moves usage and pricing
the way a competitor's launch would, and changes why customers leave;
`bad_rows` (fraction) spoils rows in ways the model specs' validation rules
catch: nulls, out-of-range values, unknown categories and duplicate events.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from modelfleet.synthetic import day_rng, distinct_ids, logistic_label, spoil, utc_timestamps

SEGMENTS = ["consumer", "smb", "enterprise"]
PLANS = ["basic", "standard", "premium"]
CONTRACTS = ["monthly", "annual", "two_year"]
OFFERS = ["none", "discount", "free_month", "upgrade"]
CHURN_REASONS = ["price", "service", "competitor", "moved", "other"]
PLATFORMS = ["ios", "android", "web"]


def subscribers(
    logical_date: dt.date, rows: int = 2000, seed: int = 0, drift: float = 0.0, bad_rows: float = 0.0
) -> pd.DataFrame:
    """Daily subscriber snapshot; label `churned_30d` (cancels within 30 days)."""
    rng = day_rng("subscribers", logical_date, seed)
    segment = rng.choice(SEGMENTS, rows, p=[0.5, 0.3, 0.2])
    plan = rng.choice(PLANS, rows, p=[0.45, 0.4, 0.15])
    contract = rng.choice(CONTRACTS, rows, p=[0.55, 0.3, 0.15])
    tenure = rng.integers(1, 96, rows)
    price = {"basic": 19.0, "standard": 39.0, "premium": 79.0}
    charges = np.round(np.vectorize(price.get)(plan) * rng.lognormal(0.05 * drift, 0.12, rows), 2)
    discount = np.round(np.clip(rng.normal(8, 6, rows), 0, 50), 1)
    tickets = rng.poisson(0.6 + 0.6 * drift, rows)
    # Drift: a competitor launch lowers engagement across the base.
    logins = rng.poisson(np.clip(rng.normal(22 - 8 * drift, 9, rows), 0.5, None))
    failures = rng.poisson(0.15, rows)
    risk = (
        1.2 * (contract == "monthly") - 0.8 * (contract == "two_year")
        - 0.7 * np.log1p(tenure)
        - 0.06 * logins
        + 0.45 * tickets
        + 0.9 * failures
        + (0.012 + 0.02 * drift) * charges
        - 0.03 * discount
        + np.select([segment == "enterprise", segment == "smb"], [-0.6, -0.2], 0.0)
    )
    frame = pd.DataFrame({
        "customer_id": distinct_ids(rng, rows, 1_000_000),
        "event_timestamp": utc_timestamps(rng, logical_date, rows),
        "segment": segment,
        "plan": plan,
        "contract": contract,
        "tenure_months": tenure.astype("int64"),
        "monthly_charges": charges,
        "discount_pct": discount,
        "support_tickets_30d": tickets.astype("int64"),
        "logins_30d": logins.astype("int64"),
        "payment_failures_90d": failures.astype("int64"),
        "churned_30d": logistic_label(rng, risk, 0.05 + 0.03 * drift),
    })
    return spoil(
        frame, rng, bad_rows,
        nulls=["monthly_charges", "discount_pct", "event_timestamp"],
        out_of_range={"monthly_charges": -19.0, "tenure_months": 0, "discount_pct": 140.0},
        unknown={"plan": "legacy_gold", "segment": "government", "contract": "weekly"},
    )


def lapsed_customers(
    logical_date: dt.date, rows: int = 2000, seed: int = 0, drift: float = 0.0, bad_rows: float = 0.0
) -> pd.DataFrame:
    """Former customers sent a win-back offer; label `responded` (re-subscribed within 14 days)."""
    rng = day_rng("lapsed_customers", logical_date, seed)
    days = rng.integers(1, 365, rows)
    prev_tenure = rng.integers(1, 72, rows)
    prev_plan = rng.choice(PLANS, rows, p=[0.5, 0.35, 0.15])
    offer = rng.choice(OFFERS, rows, p=[0.25, 0.35, 0.25, 0.15])
    offer_value = np.round(np.select(
        [offer == "discount", offer == "free_month", offer == "upgrade"],
        [rng.uniform(5, 30, rows), rng.uniform(19, 79, rows), rng.uniform(10, 40, rows)], 0.0), 2)
    opened = rng.poisson(1.5 - 0.8 * drift, rows)
    reason = rng.choice(CHURN_REASONS, rows, p=[0.35 - 0.15 * drift, 0.2, 0.2 + 0.15 * drift, 0.1, 0.15])
    risk = (
        -0.9 * np.log1p(days)
        + 0.4 * np.log1p(prev_tenure)
        + 0.6 * opened
        + 0.03 * offer_value * (1 + (reason == "price"))
        + np.select([reason == "moved", reason == "competitor"], [-1.2, -0.5 - 0.5 * drift], 0.0)
        + 0.3 * (prev_plan == "premium")
    )
    frame = pd.DataFrame({
        "customer_id": distinct_ids(rng, rows, 1_000_000),
        "event_timestamp": utc_timestamps(rng, logical_date, rows),
        "days_since_churn": days.astype("int64"),
        "previous_tenure_months": prev_tenure.astype("int64"),
        "previous_plan": prev_plan,
        "offer_type": offer,
        "offer_value_usd": offer_value,
        "emails_opened_30d": opened.astype("int64"),
        "churn_reason": reason,
        "responded": logistic_label(rng, risk, 0.08),
    })
    return spoil(
        frame, rng, bad_rows,
        nulls=["offer_value_usd", "event_timestamp"],
        out_of_range={"days_since_churn": -4, "offer_value_usd": 5_000.0, "emails_opened_30d": -2},
        unknown={"offer_type": "mystery_box", "churn_reason": "alien_abduction"},
    )


def customer_value(
    logical_date: dt.date, rows: int = 2000, seed: int = 0, drift: float = 0.0, bad_rows: float = 0.0
) -> pd.DataFrame:
    """Customers with usage and cost history; label `ltv_12m_usd` (next-12-month margin)."""
    rng = day_rng("customer_value", logical_date, seed)
    segment = rng.choice(SEGMENTS, rows, p=[0.6, 0.3, 0.1])
    tenure = rng.integers(1, 120, rows)
    charges = np.round(rng.lognormal(3.5, 0.5, rows) * np.select([segment == "enterprise", segment == "smb"], [4.0, 1.8], 1.0), 2)
    products = 1 + rng.poisson(0.8, rows)
    usage = np.round(rng.gamma(2.0, 15.0 * (1 + 0.5 * drift), rows), 1)
    support_cost = np.where(rng.random(rows) < 0.02, np.nan, np.round(rng.gamma(1.5, 40.0, rows), 2))  # not yet billed
    retention = 1 / (1 + np.exp(-(0.6 * np.log1p(tenure) + 0.3 * products - 1.0 - 0.8 * drift)))
    margin = charges * 12 * retention * (0.55 + 0.05 * products) - np.nan_to_num(support_cost, nan=60.0) - 0.4 * usage
    ltv = np.round(np.maximum(margin * rng.lognormal(0, 0.12, rows) + rng.normal(0, 25, rows), 0.0), 2)
    frame = pd.DataFrame({
        "customer_id": distinct_ids(rng, rows, 1_000_000),
        "event_timestamp": utc_timestamps(rng, logical_date, rows),
        "segment": segment,
        "tenure_months": tenure.astype("int64"),
        "monthly_charges": charges,
        "num_products": products.astype("int64"),
        "avg_monthly_usage_gb": usage,
        "support_cost_12m": support_cost,
        "ltv_12m_usd": ltv,
    })
    return spoil(
        frame, rng, bad_rows,
        nulls=["monthly_charges", "ltv_12m_usd", "event_timestamp"],
        out_of_range={"monthly_charges": -5.0, "num_products": 0, "avg_monthly_usage_gb": -1.0},
        unknown={"segment": "government"},
    )


def app_activity(
    logical_date: dt.date, rows: int = 2000, seed: int = 0, drift: float = 0.0, bad_rows: float = 0.0
) -> pd.DataFrame:
    """Weekly app engagement per user; label `usage_drop` (sessions fall by half next week)."""
    rng = day_rng("app_activity", logical_date, seed)
    platform = rng.choice(PLATFORMS, rows, p=[0.4, 0.4, 0.2])
    previous = rng.poisson(rng.gamma(2.0, 6.0, rows))
    trend = rng.normal(-0.1 * drift, 0.35, rows)
    sessions = rng.poisson(previous * np.exp(trend))
    minutes = np.round(rng.gamma(2.5, 3.0 * (1 - 0.3 * drift), rows), 2)
    used = rng.integers(0, 12, rows)
    push = rng.random(rows) < 0.55
    idle = rng.integers(0, 14, rows)
    crashes = rng.poisson(0.3 + 0.3 * (platform == "android") + 0.4 * drift, rows)
    risk = (
        -1.5 * trend
        + 0.15 * idle
        - 0.12 * used
        - 0.05 * minutes
        + 0.5 * crashes
        - 0.4 * push
        - 0.25 * np.log1p(sessions)
    )
    frame = pd.DataFrame({
        "user_id": distinct_ids(rng, rows, 20_000_000),
        "event_timestamp": utc_timestamps(rng, logical_date, rows),
        "platform": platform,
        "sessions_7d": sessions.astype("int64"),
        "sessions_prev_7d": previous.astype("int64"),
        "avg_session_minutes": minutes,
        "features_used_7d": used.astype("int64"),
        "push_opt_in": push,
        "days_since_last_session": idle.astype("int64"),
        "crash_count_7d": crashes.astype("int64"),
        "usage_drop": logistic_label(rng, risk, 0.1),
    })
    return spoil(
        frame, rng, bad_rows,
        nulls=["avg_session_minutes", "event_timestamp"],
        out_of_range={"sessions_7d": -3, "avg_session_minutes": -2.5, "days_since_last_session": 400},
        unknown={"platform": "smart_fridge"},
    )

"""Synthetic, deterministic credit data for the lending team's risk models.

Every generator has the same signature and returns one day of data:

    f(logical_date, rows=2000, seed=0, drift=0.0, bad_rows=0.0) -> DataFrame

Same arguments give an identical frame. `drift` (0..1) plays a downturn:
incomes stall, indebtedness and utilisation rise, and defaults follow them
more closely; `bad_rows` (fraction) spoils rows in ways the model specs'
validation rules catch: nulls, out-of-range values, unknown categories and
duplicate events.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from modelfleet.synthetic import day_rng, distinct_ids, logistic_label, spoil, utc_timestamps

PURPOSES = ["debt_consolidation", "home_improvement", "car", "medical", "small_business", "other"]
HOME_OWNERSHIP = ["rent", "own", "mortgage"]
PRODUCTS = ["personal", "auto", "card"]
COLLATERAL = ["none", "vehicle", "property"]
CONTACT_CHANNELS = ["sms", "call", "email", "letter"]


def loan_applications(
    logical_date: dt.date, rows: int = 2000, seed: int = 0, drift: float = 0.0, bad_rows: float = 0.0
) -> pd.DataFrame:
    """Credit applications with bureau attributes; label `defaulted` (within 12 months of booking)."""
    rng = day_rng("loan_applications", logical_date, seed)
    income = np.round(rng.lognormal(11.0 - 0.1 * drift, 0.5, rows), 0)
    dti = np.round(np.clip(rng.normal(0.28 + 0.06 * drift, 0.1, rows), 0.0, 0.95), 3)
    score = np.clip(np.round(rng.normal(690 - 20 * drift, 60, rows)), 300, 850).astype("int64")
    amount = np.round(np.clip(income * rng.uniform(0.05, 0.6, rows), 1_000, 60_000), -2)
    term = rng.choice([36, 60], rows, p=[0.65, 0.35]).astype("int64")
    employment = np.where(rng.random(rows) < 0.03, np.nan, np.round(rng.exponential(6.0, rows).clip(0, 45), 1))
    accounts = rng.poisson(7, rows)
    delinquencies = rng.poisson(0.3 + 0.3 * drift, rows)
    purpose = rng.choice(PURPOSES, rows, p=[0.45, 0.15, 0.12, 0.08, 0.08, 0.12])
    home = rng.choice(HOME_OWNERSHIP, rows, p=[0.4, 0.15, 0.45])
    risk = (
        -0.012 * score
        + (3.0 + 2.0 * drift) * dti
        + 0.5 * delinquencies
        + 0.8 * np.log(amount / income + 0.05)
        + 0.3 * (term == 60)
        - 0.04 * np.nan_to_num(employment, nan=1.0)
        + np.select([purpose == "small_business", purpose == "medical"], [0.7, 0.4], 0.0)
        - 0.3 * (home == "own")
    )
    frame = pd.DataFrame({
        "application_id": distinct_ids(rng, rows, 50_000_000),
        "event_timestamp": utc_timestamps(rng, logical_date, rows),
        "annual_income": income,
        "debt_to_income": dti,
        "credit_score": score,
        "loan_amount": amount,
        "term_months": term,
        "employment_years": employment,
        "num_open_accounts": accounts.astype("int64"),
        "delinquencies_2y": delinquencies.astype("int64"),
        "purpose": purpose,
        "home_ownership": home,
        "defaulted": logistic_label(rng, risk, 0.06 + 0.04 * drift),
    })
    return spoil(
        frame, rng, bad_rows,
        nulls=["annual_income", "debt_to_income", "event_timestamp"],
        out_of_range={"credit_score": 900, "debt_to_income": 3.2, "term_months": 48},
        unknown={"purpose": "crypto_speculation", "home_ownership": "castle"},
    )


def loan_performance(
    logical_date: dt.date, rows: int = 2000, seed: int = 0, drift: float = 0.0, bad_rows: float = 0.0
) -> pd.DataFrame:
    """Monthly performance of booked loans by product; label `delinquent_60d` (60+ days past due within 6 months)."""
    rng = day_rng("loan_performance", logical_date, seed)
    product = rng.choice(PRODUCTS, rows, p=[0.4, 0.3, 0.3])
    months = rng.integers(1, 72, rows)
    balance = np.round(rng.lognormal(9.0, 0.8, rows), 2)
    utilization = np.round(np.clip(rng.beta(2, 3 - drift, rows) * 1.1, 0, 1.2), 3)
    missed = rng.poisson(0.2 + 0.3 * drift, rows)
    min_ratio = np.round(rng.lognormal(0.4, 0.4, rows), 3)
    score_change = np.round(rng.normal(-5 * drift, 20, rows), 0)
    verified = rng.random(rows) < 0.7
    risk = (
        (2.0 + 1.0 * (product == "card")) * utilization
        + 0.9 * missed
        - 0.6 * np.log(min_ratio + 0.1)
        - 0.03 * score_change
        - 0.3 * verified
        - 0.1 * np.log1p(months)
        + 0.5 * (product == "personal")
    )
    frame = pd.DataFrame({
        "loan_id": distinct_ids(rng, rows, 3_000_000),
        "event_timestamp": utc_timestamps(rng, logical_date, rows),
        "product": product,
        "months_on_book": months.astype("int64"),
        "current_balance": balance,
        "utilization": utilization,
        "payments_missed_6m": missed.astype("int64"),
        "payment_to_minimum_ratio": min_ratio,
        "credit_score_change_3m": score_change,
        "income_verified": verified,
        "delinquent_60d": logistic_label(rng, risk, 0.05 + 0.03 * drift),
    })
    return spoil(
        frame, rng, bad_rows,
        nulls=["current_balance", "utilization", "event_timestamp"],
        out_of_range={"utilization": 4.0, "months_on_book": -1, "current_balance": -100.0},
        unknown={"product": "mortgage"},
    )


def defaulted_loans(
    logical_date: dt.date, rows: int = 2000, seed: int = 0, drift: float = 0.0, bad_rows: float = 0.0
) -> pd.DataFrame:
    """Loans that defaulted, with collateral; label `loss_given_default` (fraction of exposure lost, 0..1)."""
    rng = day_rng("defaulted_loans", logical_date, seed)
    collateral = rng.choice(COLLATERAL, rows, p=[0.5, 0.35, 0.15])
    exposure = np.round(rng.lognormal(9.3, 0.7, rows), 2)
    coverage = np.select([collateral == "vehicle", collateral == "property"],
                         [rng.uniform(0.3, 1.0, rows), rng.uniform(0.6, 1.6, rows)], 0.0)
    collateral_value = np.round(exposure * coverage * (1 - 0.25 * drift), 2)
    months = rng.integers(1, 72, rows)
    score = np.clip(np.round(rng.normal(580 - 30 * drift, 50, rows)), 300, 850).astype("int64")
    agency = rng.random(rows) < 0.4
    lgd = (
        0.85 - 0.55 * np.minimum(collateral_value / exposure, 1.0)
        - 0.002 * months + 0.0006 * (600 - score) + 0.08 * agency + 0.05 * drift
        + rng.normal(0, 0.06, rows)
    )
    frame = pd.DataFrame({
        "loan_id": distinct_ids(rng, rows, 3_000_000),
        "event_timestamp": utc_timestamps(rng, logical_date, rows),
        "collateral_type": collateral,
        "collateral_value": collateral_value,
        "exposure_at_default": exposure,
        "months_on_book": months.astype("int64"),
        "credit_score_at_default": score,
        "sent_to_agency": agency,
        "loss_given_default": np.round(np.clip(lgd, 0.0, 1.0), 4),
    })
    return spoil(
        frame, rng, bad_rows,
        nulls=["exposure_at_default", "loss_given_default", "event_timestamp"],
        out_of_range={"loss_given_default": 1.5, "exposure_at_default": -500.0, "credit_score_at_default": 120},
        unknown={"collateral_type": "artwork"},
    )


def loan_book(
    logical_date: dt.date, rows: int = 2000, seed: int = 0, drift: float = 0.0, bad_rows: float = 0.0
) -> pd.DataFrame:
    """Performing loans and the rate environment; label `prepaid_90d` (repaid in full within 90 days)."""
    rng = day_rng("loan_book", logical_date, seed)
    product = rng.choice(PRODUCTS, rows, p=[0.45, 0.4, 0.15])
    rate = np.round(rng.normal(0.11, 0.03, rows).clip(0.02, 0.3), 4)
    market_delta = np.round(rate - rng.normal(0.09 + 0.03 * drift, 0.01, rows), 4)  # positive: refinancing pays
    months = rng.integers(1, 60, rows)
    remaining = rng.integers(1, 60, rows)
    balance = np.round(rng.lognormal(9.2, 0.7, rows), 2)
    income_growth = np.round(rng.normal(0.03 - 0.03 * drift, 0.06, rows), 4)
    risk = (
        30.0 * market_delta
        + 4.0 * income_growth
        - 0.4 * np.log(balance / 5_000)
        - 0.03 * remaining
        + 0.01 * months
        + 0.4 * (product == "auto")
    )
    frame = pd.DataFrame({
        "loan_id": distinct_ids(rng, rows, 3_000_000),
        "event_timestamp": utc_timestamps(rng, logical_date, rows),
        "product": product,
        "interest_rate": rate,
        "rate_minus_market": market_delta,
        "months_on_book": months.astype("int64"),
        "remaining_term_months": remaining.astype("int64"),
        "balance": balance,
        "income_growth_12m": income_growth,
        "prepaid_90d": logistic_label(rng, risk, 0.07),
    })
    return spoil(
        frame, rng, bad_rows,
        nulls=["interest_rate", "balance", "event_timestamp"],
        out_of_range={"interest_rate": 1.5, "remaining_term_months": -6, "balance": -1.0},
        unknown={"product": "mortgage"},
    )


def collections(
    logical_date: dt.date, rows: int = 2000, seed: int = 0, drift: float = 0.0, bad_rows: float = 0.0
) -> pd.DataFrame:
    """Accounts in early collections; label `cured_30d` (back to current within 30 days)."""
    rng = day_rng("collections", logical_date, seed)
    dpd = rng.integers(1, 90, rows)
    due = np.round(rng.lognormal(6.0 + 0.2 * drift, 0.9, rows), 2)
    attempts = rng.poisson(3, rows)
    promise = rng.random(rows) < 0.25 - 0.1 * drift
    cures = rng.poisson(0.8, rows)
    paid_ratio = np.round(rng.beta(2, 3 + drift, rows), 3)
    channel = rng.choice(CONTACT_CHANNELS, rows, p=[0.35, 0.3, 0.25, 0.1])
    risk = (
        -0.04 * dpd
        - 0.3 * np.log(due)
        + 1.2 * promise
        + 0.5 * cures
        + 2.5 * paid_ratio
        + 0.1 * attempts * (channel == "call")
        + 0.3 * (channel == "sms")
    )
    frame = pd.DataFrame({
        "account_id": distinct_ids(rng, rows, 6_000_000),
        "event_timestamp": utc_timestamps(rng, logical_date, rows),
        "days_past_due": dpd.astype("int64"),
        "balance_due": due,
        "contact_attempts_7d": attempts.astype("int64"),
        "promise_to_pay": promise,
        "prior_cures": cures.astype("int64"),
        "payment_ratio_90d": paid_ratio,
        "contact_channel": channel,
        "cured_30d": logistic_label(rng, risk, 0.3),
    })
    return spoil(
        frame, rng, bad_rows,
        nulls=["balance_due", "payment_ratio_90d", "event_timestamp"],
        out_of_range={"days_past_due": -5, "payment_ratio_90d": 2.0, "contact_attempts_7d": -1},
        unknown={"contact_channel": "carrier_pigeon"},
    )

"""Synthetic, deterministic impression data for the discovery team's rankers.

Every generator has the same signature and returns one day of data:

    f(logical_date, rows=2000, seed=0, drift=0.0, bad_rows=0.0) -> DataFrame

Ranking frames hold whole query groups: the first join key is the group
(a user's feed request, an anchor item, a search query) and the label is a
graded relevance 0..3. Same arguments give an identical frame. `drift`
(0..1) moves popularity and pricing and makes users care more about
freshness; `bad_rows` (fraction) spoils rows in ways the model specs'
validation rules catch: nulls, out-of-range values, unknown categories and
duplicate events.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from modelfleet.synthetic import day_rng, distinct_ids, logistic_label, spoil, utc_timestamps

MARKETS = ["us", "uk", "de"]
PLACEMENTS = ["feed", "sidebar", "search", "stories"]
DEVICES = ["mobile", "desktop", "tablet"]


def _groups(rng: np.random.Generator, rows: int, size: int, start: int) -> tuple[np.ndarray, np.ndarray]:
    """Group ids for `rows` rows in groups of `size` (the last may be smaller) and each row's item id,
    distinct within its group."""
    n_groups = -(-rows // size)
    group = np.repeat(distinct_ids(rng, n_groups, start), size)[:rows]
    item = np.concatenate([rng.choice(200_000, size, replace=False) for _ in range(n_groups)])[:rows] + 1
    return group, item.astype("int64")


def _grades(rng: np.random.Generator, score: np.ndarray, noise: float = 0.6) -> np.ndarray:
    """Graded relevance 0..3 from a latent score: top ~5% purchase (3), ~10% save (2), ~20% click (1)."""
    z = (score - score.mean()) / (score.std() or 1.0) + rng.normal(0, noise, len(score))
    return np.digitize(z, np.quantile(z, [0.65, 0.85, 0.95])).astype("int64")


def feed_impressions(
    logical_date: dt.date, rows: int = 2000, seed: int = 0, drift: float = 0.0, bad_rows: float = 0.0
) -> pd.DataFrame:
    """Home-feed candidates, 20 per request (group: user_id); label `relevance`."""
    rng = day_rng("feed_impressions", logical_date, seed)
    user, item = _groups(rng, rows, 20, 30_000_000)
    affinity = np.round(rng.normal(0, 1, rows), 4)
    popularity = np.round(rng.beta(1.2 + 1.5 * drift, 6, rows), 4)
    age_hours = np.round(rng.exponential(36.0, rows), 2)
    price = np.round(rng.lognormal(3.2 + 0.3 * drift, 0.8, rows), 2)
    category_match = rng.random(rows) < 0.3
    followed = rng.random(rows) < 0.1
    activity = np.repeat(rng.poisson(15, -(-rows // 20)), 20)[:rows]
    score = (
        1.0 * affinity
        + 2.5 * popularity
        - (0.01 + 0.02 * drift) * age_hours
        + 0.8 * category_match
        + 0.9 * followed
        - 0.25 * np.log(price)
    )
    frame = pd.DataFrame({
        "user_id": user,
        "item_id": item,
        "event_timestamp": utc_timestamps(rng, logical_date, rows),
        "user_item_affinity": affinity,
        "item_popularity": popularity,
        "item_age_hours": age_hours,
        "item_price_usd": price,
        "category_match": category_match,
        "author_followed": followed,
        "user_activity_7d": activity.astype("int64"),
        "relevance": _grades(rng, score),
    })
    return spoil(
        frame, rng, bad_rows,
        nulls=["user_item_affinity", "item_popularity", "event_timestamp"],
        out_of_range={"item_popularity": 1.8, "item_age_hours": -6.0, "relevance": 9},
        unknown={"user_activity_7d": -1},
    )


def item_pairs(
    logical_date: dt.date, rows: int = 2000, seed: int = 0, drift: float = 0.0, bad_rows: float = 0.0
) -> pd.DataFrame:
    """Related-item candidates, 10 per anchor item (group: anchor_item_id), per market; label `relevance`."""
    rng = day_rng("item_pairs", logical_date, seed)
    anchor, item = _groups(rng, rows, 10, 500_000)
    market = np.repeat(rng.choice(MARKETS, -(-rows // 10), p=[0.5, 0.25, 0.25]), 10)[:rows]
    co_view = np.round(rng.beta(1.0, 12 - 4 * drift, rows), 4)
    similarity = np.round(np.clip(rng.normal(0.3, 0.3, rows), -1, 1), 4)
    same_category = rng.random(rows) < 0.4
    brand_match = rng.random(rows) < 0.15
    price_ratio = np.round(rng.lognormal(0.1 * drift, 0.5, rows), 3)
    rating = np.round(np.clip(rng.normal(4.0, 0.6, rows), 1, 5), 1)
    score = (
        12.0 * co_view
        + 1.8 * similarity
        + 0.7 * same_category
        + (0.4 + 0.4 * (market == "de")) * brand_match
        - 0.8 * np.abs(np.log(price_ratio))
        + 0.4 * (rating - 4)
    )
    frame = pd.DataFrame({
        "anchor_item_id": anchor,
        "item_id": item,
        "event_timestamp": utc_timestamps(rng, logical_date, rows),
        "market": market,
        "co_view_rate": co_view,
        "embedding_similarity": similarity,
        "same_category": same_category,
        "brand_match": brand_match,
        "price_ratio": price_ratio,
        "item_rating": rating,
        "relevance": _grades(rng, score),
    })
    return spoil(
        frame, rng, bad_rows,
        nulls=["co_view_rate", "embedding_similarity", "event_timestamp"],
        out_of_range={"embedding_similarity": 2.5, "item_rating": 7.5, "price_ratio": -1.0},
        unknown={"market": "atlantis"},
    )


def search_impressions(
    logical_date: dt.date, rows: int = 2000, seed: int = 0, drift: float = 0.0, bad_rows: float = 0.0
) -> pd.DataFrame:
    """Search results, 10 per query (group: query_id); label `relevance`."""
    rng = day_rng("search_impressions", logical_date, seed)
    query, doc = _groups(rng, rows, 10, 90_000_000)
    query_len = np.repeat(rng.integers(1, 8, -(-rows // 10)), 10)[:rows]
    bm25 = np.round(rng.gamma(2.0, 4.0, rows), 3)
    title_match = np.round(rng.beta(2, 3, rows), 3)
    ctr = np.round(rng.beta(1.5, 30 - 10 * drift, rows), 4)
    length = rng.integers(50, 5_000, rows)
    freshness = rng.integers(0, 720, rows)
    score = (
        0.15 * bm25
        + 2.5 * title_match * (1 + 0.1 * query_len)
        + 30.0 * ctr
        - 0.15 * np.log(length)
        - (0.0005 + 0.002 * drift) * freshness
    )
    frame = pd.DataFrame({
        "query_id": query,
        "doc_id": doc,
        "event_timestamp": utc_timestamps(rng, logical_date, rows),
        "query_length_tokens": query_len.astype("int64"),
        "bm25_score": bm25,
        "title_match_fraction": title_match,
        "doc_ctr_30d": ctr,
        "doc_length_words": length.astype("int64"),
        "doc_age_days": freshness.astype("int64"),
        "relevance": _grades(rng, score),
    })
    return spoil(
        frame, rng, bad_rows,
        nulls=["bm25_score", "title_match_fraction", "event_timestamp"],
        out_of_range={"title_match_fraction": 1.5, "doc_ctr_30d": -0.2, "doc_length_words": 0},
        unknown={"query_length_tokens": 0},
    )


def ad_impressions(
    logical_date: dt.date, rows: int = 2000, seed: int = 0, drift: float = 0.0, bad_rows: float = 0.0
) -> pd.DataFrame:
    """Sponsored-item impressions; label `clicked`."""
    rng = day_rng("ad_impressions", logical_date, seed)
    ts = utc_timestamps(rng, logical_date, rows)
    placement = rng.choice(PLACEMENTS, rows, p=[0.4, 0.2, 0.25, 0.15])
    device = rng.choice(DEVICES, rows, p=[0.65 + 0.15 * drift, 0.3 - 0.15 * drift, 0.05])
    user_ctr = np.round(rng.beta(1.5, 40, rows), 4)
    ad_ctr = np.round(rng.beta(2.0, 60 - 20 * drift, rows), 4)
    bid = np.round(rng.lognormal(-0.5, 0.6, rows), 3)
    relevance = np.round(rng.beta(2, 2, rows), 3)
    hour = ts.dt.hour.to_numpy()
    score = (
        25.0 * user_ctr
        + 30.0 * ad_ctr
        + 2.2 * relevance
        + np.select([placement == "search", placement == "sidebar"], [0.9, -0.8], 0.0)
        + (0.3 + 0.5 * drift) * (device == "mobile")
        + 0.3 * ((hour >= 18) & (hour <= 23))
    )
    frame = pd.DataFrame({
        "user_id": distinct_ids(rng, rows, 30_000_000),
        "ad_id": rng.integers(1, 5_000, rows).astype("int64"),
        "event_timestamp": ts,
        "placement": placement,
        "device": device,
        "hour_of_day": hour.astype("int64"),
        "user_ctr_30d": user_ctr,
        "ad_ctr_7d": ad_ctr,
        "bid_usd": bid,
        "query_ad_relevance": relevance,
        "clicked": logistic_label(rng, score, 0.04),
    })
    return spoil(
        frame, rng, bad_rows,
        nulls=["ad_ctr_7d", "bid_usd", "event_timestamp"],
        out_of_range={"user_ctr_30d": 1.4, "bid_usd": -0.5, "hour_of_day": 24},
        unknown={"placement": "billboard", "device": "smartwatch"},
    )

"""Age buckets of open backorders (seed 003: 1-7, 8-14, 15-30, 30+ days),
shared by the backorder list's `age` filter and the aging report. Pure."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class AgeBucket:
    key: str
    label: str
    low: int  # days, inclusive
    high: int | None  # days, inclusive; None: no upper end


AGE_BUCKETS = (
    AgeBucket("0_7", "0–7 days", 0, 7),
    AgeBucket("8_14", "8–14 days", 8, 14),
    AgeBucket("15_30", "15–30 days", 15, 30),
    AgeBucket("31_plus", "31+ days", 31, None),
)


def age_days(created_at: dt.datetime, now: dt.datetime) -> int:
    """Whole days a backorder has been open: the backorder list's `age_days`."""
    return (now - created_at).days


def age_bucket(days: int) -> str:
    for b in AGE_BUCKETS:
        if days >= b.low and (b.high is None or days <= b.high):
            return b.key
    return AGE_BUCKETS[0].key  # created in the future (clock skew): newest


def age_thresholds(now: dt.datetime) -> list[tuple[str, dt.datetime]]:
    """For each bucket but the oldest, the creation time after which a
    backorder is in it or a younger one: age <= high  <=>  created_at >
    now - (high + 1) days. The SQL CASE tests them youngest first."""
    return [(b.key, now - dt.timedelta(days=b.high + 1)) for b in AGE_BUCKETS
            if b.high is not None]


def created_range(key: str, now: dt.datetime) -> tuple[dt.datetime | None, dt.datetime | None]:
    """(created after, created at or before) for the backorders of bucket
    `key`; KeyError for an unknown key."""
    bucket = {b.key: b for b in AGE_BUCKETS}[key]
    after = None if bucket.high is None else now - dt.timedelta(days=bucket.high + 1)
    at_or_before = None if bucket.low == 0 else now - dt.timedelta(days=bucket.low)
    return after, at_or_before


BUCKET_KEYS = tuple(b.key for b in AGE_BUCKETS)

"""Pure decisions of the reports: age buckets, timeline buckets, ratios and
percentiles. No database; the selectors ask these for boundaries and fold
the (few) grouped rows the database returns."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal


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


TIMELINE_BUCKETS = (
    ("overdue", "Overdue"),
    ("this_week", "This week"),
    ("next_week", "Next week"),
    ("this_month", "Later this month"),
    ("later", "Later"),
    ("none", "Not dated"),
)


def week_start(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def month_end(day: dt.date) -> dt.date:
    first_next = (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return first_next - dt.timedelta(days=1)


def timeline_bucket(expected: dt.date | None, today: dt.date) -> str:
    """Disjoint buckets: before today is overdue; then this week (to
    Sunday), next week, the rest of this month, later; no date is `none`.
    The first four match the backorder list's `expected` filter."""
    if expected is None:
        return "none"
    if expected < today:
        return "overdue"
    next_monday = week_start(today) + dt.timedelta(days=7)
    if expected < next_monday:
        return "this_week"
    if expected < next_monday + dt.timedelta(days=7):
        return "next_week"
    if expected <= month_end(today):
        return "this_month"
    return "later"


def ratio(numerator: int, denominator: int) -> Decimal | None:
    """numerator ÷ denominator to four places (0.9167), None when nothing was counted."""
    if not denominator:
        return None
    return (Decimal(numerator) / Decimal(denominator)).quantize(
        Decimal("0.0001"), rounding=ROUND_HALF_UP)


def mean(histogram: Mapping[int, int]) -> Decimal | None:
    """The mean of values given as {value: how many}, to one place."""
    n = sum(histogram.values())
    if not n:
        return None
    total = sum(v * c for v, c in histogram.items())
    return (Decimal(total) / Decimal(n)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def percentile(histogram: Mapping[int, int], p: float) -> int | None:
    """The nearest-rank p-th percentile of values given as {value: count}:
    the smallest value with at least ceil(p/100 * n) values at or below it."""
    n = sum(histogram.values())
    if not n:
        return None
    rank = max(1, math.ceil(Decimal(str(p)) * n / 100))
    seen = 0
    for value in sorted(histogram):
        seen += histogram[value]
        if seen >= rank:
            return value
    return max(histogram)

"""Pure decisions of the reports: age buckets, timeline buckets, ratios and
percentiles. No database; the selectors ask these for boundaries and fold
the (few) grouped rows the database returns."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal

from fillrate.backorders.aging import (  # noqa: F401  (the reports' age buckets)
    AGE_BUCKETS,
    AgeBucket,
    age_bucket,
    age_days,
    age_thresholds,
)

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

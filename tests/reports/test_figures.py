"""The reports' pure decisions: age and timeline buckets, ratios, percentiles."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fillrate.reports import figures


@pytest.mark.parametrize(("days", "bucket"), [
    (0, "0_7"), (7, "0_7"), (8, "8_14"), (14, "8_14"), (15, "15_30"), (30, "15_30"),
    (31, "31_plus"), (400, "31_plus"), (-1, "0_7"),
])
def test_age_bucket_edges(days, bucket):
    assert figures.age_bucket(days) == bucket


@given(st.integers(min_value=0, max_value=2_000_000))
def test_thresholds_agree_with_the_bucket_of_the_age(minutes):
    """The SQL CASE (created_at > threshold, youngest first) puts a backorder
    in the bucket of its whole-day age."""
    now = dt.datetime(2026, 12, 9, 12, tzinfo=dt.UTC)
    created = now - dt.timedelta(minutes=minutes)
    by_case = next((k for k, t in figures.age_thresholds(now) if created > t), "31_plus")
    assert by_case == figures.age_bucket(figures.age_days(created, now))


def test_timeline_buckets_from_a_wednesday():
    today = dt.date(2026, 12, 9)
    day = dt.date
    assert figures.timeline_bucket(None, today) == "none"
    assert figures.timeline_bucket(day(2026, 12, 8), today) == "overdue"
    assert figures.timeline_bucket(today, today) == "this_week"
    assert figures.timeline_bucket(day(2026, 12, 13), today) == "this_week"
    assert figures.timeline_bucket(day(2026, 12, 14), today) == "next_week"
    assert figures.timeline_bucket(day(2026, 12, 20), today) == "next_week"
    assert figures.timeline_bucket(day(2026, 12, 31), today) == "this_month"
    assert figures.timeline_bucket(day(2027, 1, 1), today) == "later"


def test_timeline_at_the_end_of_a_month_has_no_this_month():
    today = dt.date(2026, 12, 28)  # a Monday; next week is in January
    assert figures.timeline_bucket(dt.date(2027, 1, 4), today) == "next_week"
    assert figures.timeline_bucket(dt.date(2027, 1, 11), today) == "later"
    assert figures.month_end(dt.date(2028, 2, 3)) == dt.date(2028, 2, 29)


def test_ratio():
    assert figures.ratio(3, 7) == Decimal("0.4286")
    assert figures.ratio(2, 3) == Decimal("0.6667")
    assert figures.ratio(0, 5) == Decimal("0.0000")
    assert figures.ratio(0, 0) is None


def test_mean_and_percentile_of_a_histogram():
    hist = {1: 5, 2: 3, 10: 1, 30: 1}  # ten values
    assert figures.mean(hist) == Decimal("5.1")  # (5 + 6 + 10 + 30) / 10
    assert figures.percentile(hist, 90) == 10  # rank 9 of 10
    assert figures.percentile(hist, 50) == 1  # rank 5
    assert figures.percentile(hist, 100) == 30
    assert figures.percentile({}, 90) is None
    assert figures.mean({}) is None


@given(st.lists(st.integers(min_value=0, max_value=60), min_size=1, max_size=200))
def test_percentile_matches_the_sorted_list(values):
    hist: dict[int, int] = {}
    for v in values:
        hist[v] = hist.get(v, 0) + 1
    ordered = sorted(values)
    rank = -(-90 * len(values) // 100)
    assert figures.percentile(hist, 90) == ordered[rank - 1]


def test_created_range_of_each_bucket():
    from fillrate.backorders.aging import created_range

    now = dt.datetime(2026, 12, 9, 12, tzinfo=dt.UTC)
    day = dt.timedelta(days=1)
    assert created_range("0_7", now) == (now - 8 * day, None)
    assert created_range("8_14", now) == (now - 15 * day, now - 8 * day)
    assert created_range("31_plus", now) == (None, now - 31 * day)
    with pytest.raises(KeyError):
        created_range("old", now)

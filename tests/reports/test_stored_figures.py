"""The figures the reports keep instead of reading every row: the per-day
backlog of aging by product and the orders' stored first-shipment outcomes.
Each must equal what the rows say, after every kind of change."""

from __future__ import annotations

import datetime as dt

import pytest

from fillrate.backorders.models import Backorder
from fillrate.backorders.totals import totals_problems
from fillrate.orders.models import SalesOrder
from fillrate.reports import outcomes
from fillrate.reports.backlog import aging_by_product_days, aging_by_product_lines
from fillrate.reports.fill_rate import fill_rate, period_for
from fillrate.reports.models import LineOutcome, OrderOutcome, OutcomeMark
from fillrate.reports.scope import EVERYTHING
from fillrate.workflows.cancel_order import cancel_order
from tests.reports.conftest import NOW, TODAY, _order, _ship_order

pytestmark = pytest.mark.django_db

H = dt.timedelta(hours=1)
D = dt.timedelta(days=1)


def rows(found):
    return sorted((k, int(b), int(n), int(u), f"{float(v):.2f}") for k, b, n, u, v in found)


def test_the_scenario_keeps_every_stored_figure_true(scenario):
    assert totals_problems() == []
    assert outcomes.outcome_problems() == []


def test_aging_by_product_from_days_equals_reading_every_line(scenario):
    # Backorders on both sides of each bucket boundary (8, 15 and 31 days
    # back), at the first and last moment of the boundary days (UTC) and
    # in whole days between: pinned after creation, so the rows move days.
    offsets = [8 * D - H, 8 * D, 8 * D + H, 15 * D - 1 * H, 15 * D + 2 * H, 31 * D,
               31 * D + H, 12 * D, 40 * D, 0 * D]
    for offset in offsets:
        placed = _order("C-VIP", ("BOLT", 2), ("GADGET", 1))
        created = NOW - offset
        for backorder in placed.backorders:
            Backorder.objects.filter(id=backorder.id).update(created_at=created)
    day_start = dt.datetime.combine((NOW - 8 * D).date(), dt.time.min, tzinfo=dt.UTC)
    placed = _order("C-ACME", ("BOLT", 1))
    Backorder.objects.filter(id=placed.backorders[0].id).update(created_at=day_start)
    assert totals_problems() == []
    by_days = rows(aging_by_product_days(NOW))
    assert by_days == rows(aging_by_product_lines(EVERYTHING, NOW))
    assert len({b for _, b, *_ in by_days}) == 4  # every bucket has something
    # and from any "now" through the day, the boundaries cut other days
    for hours in (0, 5, 11, 13, 23):
        now = dt.datetime.combine(TODAY, dt.time.min, tzinfo=dt.UTC) + hours * H
        assert rows(aging_by_product_days(now)) == rows(aging_by_product_lines(EVERYTHING, now))


def test_a_changed_order_is_marked_and_recomputed_on_the_next_read(scenario):
    outcomes.refresh()
    assert not OutcomeMark.objects.exists()
    placed = _order("C-ACME", ("WIDGET", 2))
    assert OutcomeMark.objects.filter(order_id=placed.order.id).exists()
    period = period_for(today=TODAY)
    before = fill_rate(period=period_for(today=dt.date.today())).pending_orders
    assert not OutcomeMark.objects.exists()  # the report refreshed first
    kept = OrderOutcome.objects.get(order_id=placed.order.id)
    assert (kept.counted, kept.lines, kept.units, kept.first_units) == (0, 1, 2, 0)

    _ship_order(placed.order.number)
    assert OutcomeMark.objects.filter(order_id=placed.order.id).exists()
    after = fill_rate(period=period_for(today=dt.date.today()))
    assert after.pending_orders == before - 1
    kept = OrderOutcome.objects.get(order_id=placed.order.id)
    assert (kept.counted, kept.complete, kept.first_units) == (1, 1, 2)
    line = LineOutcome.objects.get(order_id=placed.order.id)
    assert (line.quantity, line.first_units, line.order_complete) == (2, 2, 1)
    assert outcomes.outcome_problems() == []
    assert period.days == 30


def test_cancelling_and_deleting_orders_keep_the_outcomes_true(scenario):
    placed = _order("C-ACME", ("WIDGET", 1))
    cancel_order(number=placed.order.number, notes="customer changed their mind")
    assert outcomes.outcome_problems() == []
    assert OrderOutcome.objects.get(order_id=placed.order.id).cancelled == 1
    SalesOrder.objects.filter(id=placed.order.id).delete()
    assert outcomes.outcome_problems() == []
    assert not OrderOutcome.objects.filter(order_id=placed.order.id).exists()
    assert not LineOutcome.objects.filter(order_id=placed.order.id).exists()


def test_the_dashboards_one_pass_equals_aging_and_the_timeline(scenario):
    from django.utils import timezone

    from fillrate.reports.backlog import aging_and_timeline, backorder_aging, timeline

    aging, coming = aging_and_timeline(now=NOW)
    assert aging == backorder_aging(now=NOW)
    assert coming == timeline(today=timezone.localdate(NOW))
    assert aging.total.backorders == 3 and coming.buckets["none"].backorders == 1

"""Each report on the scenario of `conftest.scenario`, figures worked out by
hand in the comments. The same assertions run on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from fillrate.core.errors import InvalidValue, NotFound
from fillrate.reports.backlog import backorder_aging, backorders_by_product, timeline
from fillrate.reports.fill_rate import fill_rate, period_for
from fillrate.reports.scope import check_breakdown, scope_for
from tests.reports.conftest import NOW, TODAY

pytestmark = pytest.mark.django_db

D = Decimal


def cells(buckets):
    return {k: (c.backorders, c.units, c.value) for k, c in buckets.items()}


def test_aging_buckets_and_totals(scenario):
    # Active: B2 3 d old (GADGET 2 x 10.00), B5 8 d (BOLT 5 x 1.50),
    # B6 31 d (GADGET 1 x 10.00 + BOLT 1 x 1.50). B1, B4 complete; B3 cancelled.
    aging = backorder_aging(now=NOW)
    assert cells(aging.buckets) == {
        "0_7": (1, 2, D("20.00")), "8_14": (1, 5, D("7.50")), "15_30": (0, 0, D("0.00")),
        "31_plus": (1, 2, D("11.50"))}
    assert (aging.total.backorders, aging.total.units, aging.total.value) == (3, 9, D("39.00"))
    assert aging.groups == []


def test_aging_by_product_counts_a_backorder_once_per_product(scenario):
    aging = backorder_aging(by="product", now=NOW)
    by_sku = {g.code: cells(g.buckets) for g in aging.groups}
    assert by_sku["GADGET"] == {"0_7": (1, 2, D("20.00")), "8_14": (0, 0, D("0.00")),
                                "15_30": (0, 0, D("0.00")), "31_plus": (1, 1, D("10.00"))}
    assert by_sku["BOLT"] == {"0_7": (0, 0, D("0.00")), "8_14": (1, 5, D("7.50")),
                              "15_30": (0, 0, D("0.00")), "31_plus": (1, 1, D("1.50"))}
    # Highest value first; totals still count B6 once.
    assert [g.code for g in aging.groups] == ["GADGET", "BOLT"]
    assert aging.total.backorders == 3


def test_aging_by_sales_rep_and_customer(scenario):
    reps = {g.code or None: (g.total.backorders, g.total.units, g.total.value)
            for g in backorder_aging(by="sales_rep", now=NOW).groups}
    # REP-1 has C-ACME (B5); C-VIP has no rep (B2, B6).
    assert reps == {"REP-1": (1, 5, D("7.50")), None: (2, 4, D("31.50"))}
    customers = {g.code: g.total.backorders
                 for g in backorder_aging(by="customer", now=NOW).groups}
    assert customers == {"C-ACME": 1, "C-VIP": 2}


def test_aging_scoped_to_a_customer_and_a_rep(scenario):
    vip = backorder_aging(scope=scope_for(customer="C-VIP"), now=NOW)
    assert (vip.total.backorders, vip.total.units) == (2, 4)
    rep = backorder_aging(scope=scope_for(sales_rep="REP-1"), now=NOW)
    assert cells(rep.buckets)["8_14"] == (1, 5, D("7.50"))
    assert rep.total.backorders == 1


def test_backorders_by_product(scenario):
    rows = {r.sku: r for r in backorders_by_product(now=NOW)}
    assert set(rows) == {"GADGET", "BOLT"}
    g = rows["GADGET"]
    # B2 (2) + B6 (1), both C-VIP; 3 on hand at first, 2 shipped (O1), 1 held
    # for O3: on hand 1, available 0; PO of 5 expected 2026-12-16.
    assert (g.open_units, g.waiting_units, g.backorders, g.customers, g.value) == (
        3, 3, 2, 1, D("30.00"))
    assert (g.on_hand, g.available, g.incoming, g.earliest_receipt) == (
        1, 0, 5, dt.date(2026, 12, 16))
    assert g.shortfall == 0  # 3 - 0 - 5 < 0
    assert g.oldest_age_days == 31
    b = rows["BOLT"]
    # B5 (5, C-ACME) + B6 (1, C-VIP); 7 received, 7 shipped; nothing coming.
    assert (b.open_units, b.waiting_units, b.backorders, b.customers, b.value) == (
        6, 6, 2, 2, D("9.00"))
    assert (b.on_hand, b.available, b.incoming, b.earliest_receipt, b.shortfall) == (
        0, 0, 0, None, 6)
    assert [r.sku for r in backorders_by_product(now=NOW)] == ["GADGET", "BOLT"]
    assert [r.sku for r in backorders_by_product(ordering="shortfall", now=NOW)] == [
        "BOLT", "GADGET"]


def test_timeline(scenario):
    t = timeline(today=TODAY)
    got = {k: (c.backorders, c.open_units, c.waiting_units, c.value, c.incoming_units)
           for k, c in t.buckets.items()}
    # Today is Wednesday 2026-12-09. B2 expected 12-08: overdue. B5 12-11:
    # this week. B6 not dated (its BOLT is promised nowhere). The GADGET PO
    # (5) is due 12-16: next week.
    assert got == {
        "overdue": (1, 2, 2, D("20.00"), 0),
        "this_week": (1, 5, 5, D("7.50"), 0),
        "next_week": (0, 0, 0, D("0.00"), 5),
        "this_month": (0, 0, 0, D("0.00"), 0),
        "later": (0, 0, 0, D("0.00"), 0),
        "none": (1, 2, 2, D("11.50"), 0),
    }
    weeks = [(w, c.waiting_units, c.incoming_units) for w, c in t.weeks[:3]]
    assert weeks == [(dt.date(2026, 12, 7), 5, 0), (dt.date(2026, 12, 14), 0, 5),
                     (dt.date(2026, 12, 21), 0, 0)]
    assert len(t.weeks) == 8


def test_fill_rate_overall(scenario):
    report = fill_rate(period=period_for(today=TODAY))
    t = report.total
    # Counted: O1, O2, O4, O5, O6 (placed in the 30 days to 12-09; O3 still
    # holds a unit to ship: pending; O7 placed 31 days ago).
    # Lines 7: O1 WIDGET, GADGET and O2 WIDGET complete first time -> 3/7.
    # Units 25 (7 + 7 + 2 + 4 + 5); first shipments carried 7 (O1) + 4 (O2).
    # Orders 5: only O1 complete; O2, O4, O5, O6 had a backorder.
    assert (t.lines, t.lines_complete, t.units_ordered, t.units_first_shipment) == (
        7, 3, 25, 11)
    assert (t.orders, t.orders_complete, t.orders_backordered) == (5, 1, 4)
    assert t.line_fill_rate == D("0.4286")
    assert t.unit_fill_rate == D("0.4400")
    assert t.order_fill_rate == D("0.2000")
    assert t.backorder_rate == D("0.8000")
    assert report.pending_orders == 1
    # B1's BOLT line: 5 days 3 h -> 5; B4's: 12 days.
    assert t.days_to_fill == {5: 1, 12: 1}
    assert t.avg_days_to_fill == D("8.5")
    assert t.p90_days_to_fill == 12
    assert t.cancellations == {"excessive_delay": {"backorders": 1, "units": 2}}


def test_fill_rate_by_customer_and_product(scenario):
    report = fill_rate(period=period_for(today=TODAY), by="customer")
    groups = {g.code: g for g in report.groups}
    acme, vip = groups["C-ACME"], groups["C-VIP"]
    # ACME: O1, O2, O5, O6.
    assert (acme.orders, acme.orders_complete, acme.orders_backordered) == (4, 1, 3)
    assert (acme.lines, acme.lines_complete, acme.units_ordered,
            acme.units_first_shipment) == (6, 3, 23, 11)
    assert acme.unit_fill_rate == D("0.4783")
    assert acme.days_to_fill == {5: 1, 12: 1}
    # VIP: O4 only (O3 pending).
    assert (vip.orders, vip.orders_complete, vip.orders_backordered, vip.units_ordered) == (
        1, 0, 1, 2)
    assert vip.cancellations == {"excessive_delay": {"backorders": 1, "units": 2}}
    assert report.total.orders == 5

    products = {g.code: g for g in fill_rate(period=period_for(today=TODAY),
                                             by="product").groups}
    w, g, b = products["WIDGET"], products["GADGET"], products["BOLT"]
    # WIDGET on O1 and O2: both lines complete, but O2 as a whole was not.
    assert (w.lines, w.lines_complete, w.units_ordered, w.units_first_shipment,
            w.orders, w.orders_complete, w.orders_backordered) == (2, 2, 9, 9, 2, 1, 1)
    assert (g.lines, g.lines_complete, g.orders, g.orders_complete) == (1, 1, 1, 1)
    assert (b.lines, b.lines_complete, b.units_ordered, b.units_first_shipment,
            b.orders, b.orders_backordered) == (4, 0, 14, 0, 4, 4)
    assert b.days_to_fill == {5: 1, 12: 1}


def test_fill_rate_scoped_to_a_rep(scenario):
    rep = fill_rate(period=period_for(today=TODAY), scope=scope_for(sales_rep="REP-1"))
    assert (rep.total.orders, rep.total.units_ordered, rep.pending_orders) == (4, 23, 0)
    assert rep.total.cancellations == {}


def test_fill_rate_period_excludes_what_happened_outside_it(scenario):
    # The 10 days to 12-09 hold O1 (10 d ago is 11-29: outside), O4, O6.
    report = fill_rate(period=period_for(start=dt.date(2026, 11, 30), end=TODAY))
    assert report.total.orders == 2  # O4, O6
    assert report.total.days_to_fill == {12: 1}  # B4 dispatched 2 d ago
    empty = fill_rate(period=period_for(start=dt.date(2025, 1, 1), end=dt.date(2025, 1, 31)))
    assert empty.total.orders == 0
    assert empty.total.unit_fill_rate is None
    assert empty.total.avg_days_to_fill is None


def test_bad_parameters():
    with pytest.raises(InvalidValue) as error:
        period_for(start=dt.date(2026, 2, 1), end=dt.date(2026, 1, 1))
    assert error.value.field == "to"
    with pytest.raises(InvalidValue):
        period_for(start=dt.date(2020, 1, 1), end=dt.date(2026, 1, 1))
    with pytest.raises(InvalidValue) as error:
        check_breakdown("warehouse")
    assert error.value.field == "by"


@pytest.mark.django_db
def test_unknown_scope_codes():
    with pytest.raises(NotFound) as error:
        scope_for(customer="NOPE")
    assert error.value.field == "customer"
    with pytest.raises(NotFound) as error:
        scope_for(sales_rep="NOPE")
    assert error.value.field == "sales_rep"

"""Fill rate counts an order's first shipment whatever path it took: here
through a pick run, a missing item on the issues wall, a split and the
packing bench (README, "Fill rate, defined")."""

from __future__ import annotations

from decimal import Decimal

import pytest

from fillrate.picking.services import pack_tote
from fillrate.reports.fill_rate import fill_rate, period_for
from fillrate.workflows.dispatch import dispatch_fulfillment
from fillrate.workflows.resolve_issue import resolve_issue
from tests.picking.test_resolve import picked_with_missing_gadget

pytestmark = pytest.mark.django_db


def test_a_short_pick_split_to_a_backorder_counts_as_not_filled_first_time(store):
    # WIDGET 1 and GADGET 2 ordered; both GADGETs missing on the floor, split
    # off to a backorder; the tote is packed and dispatched with WIDGET 1.
    f, issue = picked_with_missing_gadget()
    resolve_issue(number=issue.number, action="split")
    pack_tote(code="T1")
    before = fill_rate(period=period_for())
    # WIDGET is still held for it: pending until the first shipment leaves
    assert (before.total.orders, before.pending_orders) == (0, 1)
    dispatch_fulfillment(number=f.number, carrier="DPD")

    total = fill_rate(period=period_for()).total
    # By hand: 1 order, 2 lines, 3 units; the first shipment carried 1 unit
    # (WIDGET's line complete, GADGET's not); the order has a backorder.
    assert (total.orders, total.lines, total.units_ordered) == (1, 2, 3)
    assert (total.units_first_shipment, total.lines_complete, total.orders_complete) == (1, 1, 0)
    assert total.unit_fill_rate == Decimal("0.3333")
    assert total.line_fill_rate == Decimal("0.5000")
    assert total.order_fill_rate == Decimal("0.0000")
    assert total.backorder_rate == Decimal("1.0000")

"""The dashboard's set-based count of what is ready to fulfil agrees with
the fulfillable page's own query, whatever state the backorders are in."""

from __future__ import annotations

import pytest

from fillrate.fulfilment.selectors import fulfillable_backorders
from fillrate.reports.dashboard import dashboard, ready_to_fulfil
from fillrate.workflows.fulfil import fulfil_backorder
from fillrate.workflows.oversold import hold_order
from tests.reports.conftest import NOW, _restock

pytestmark = pytest.mark.django_db


def agree() -> tuple[int, int]:
    for partial in (True, False):
        assert ready_to_fulfil(partial_shipments=partial) == fulfillable_backorders(
            partial_shipments=partial).count(), partial
    return (ready_to_fulfil(partial_shipments=True), ready_to_fulfil(partial_shipments=False))


def test_ready_to_fulfil_matches_the_fulfillable_page(scenario, pick_location):
    assert agree() == (0, 0)
    _restock("BOLT", 3, pick_location.id)  # B6's BOLT 1 and 2 of B5's 5 (oldest first)
    _restock("GADGET", 2, pick_location.id)
    assert agree()[0] >= 2
    fulfil_backorder(number=scenario.b5.number)  # queued: no longer fulfillable
    agree()
    hold_order(number=scenario.b6.order.number)
    agree()


def test_dashboard_figures(scenario, at_now):
    d = dashboard(now=NOW)
    assert (d.aging.total.backorders, d.aging.total.units) == (3, 9)
    assert d.timeline.buckets["overdue"].backorders == 1
    assert (d.ready_to_fulfil, d.follow_ups_due) == (0, 0)
    # The 30 days before hold O7 (31 days ago): two lines, both backordered.
    assert d.fill_rate.total.orders == 5 and d.fill_rate_before.total.orders == 1
    assert d.fill_rate_before.total.backorder_rate == 1
    assert [r.sku for r in d.top_products] == ["GADGET", "BOLT"]

"""A small history made through the real workflows, its times then pinned,
so every report's figures can be worked out by hand (see `scenario`)."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
from django.utils import timezone

from fillrate.backorders.models import Backorder
from fillrate.fulfilment.models import Fulfillment
from fillrate.orders.models import SalesOrder
from fillrate.orders.services import LineInput
from fillrate.purchasing.services import PurchaseLineInput, create_supplier
from fillrate.workflows.cancel_backorder import cancel_backorder_and_feed
from fillrate.workflows.dispatch import dispatch_fulfillment
from fillrate.workflows.fulfil import fulfil_backorder, fulfil_order
from fillrate.workflows.place_order import place_order
from fillrate.workflows.purchase_orders import create_purchase_order
from fillrate.workflows.receive import ReceiptLineInput, receive_purchase_order
from tests.orders.conftest import invariants_hold_after_each_test, store  # noqa: F401
from tests.web.conftest import login  # noqa: F401

# "Now" for the reports: a Wednesday, noon UTC.
NOW = dt.datetime(2026, 12, 9, 12, 0, tzinfo=dt.UTC)
TODAY = NOW.date()


def _order(customer, *lines):
    return place_order(customer=customer, lines=[LineInput(s, q) for s, q in lines])


def _ship_order(number):
    return dispatch_fulfillment(number=fulfil_order(number=number).number)


def _restock(sku, quantity, location_id):
    po = create_purchase_order(supplier="SUP-1", lines=[PurchaseLineInput(sku, quantity)],
                               expected_date=TODAY)
    receive_purchase_order(number=po.number, lines=[ReceiptLineInput(sku, quantity)],
                           location_id=location_id)


def _pin(model, obj, **times):
    model.objects.filter(id=obj.id).update(**times)


@pytest.fixture
def scenario(store, pick_location):  # noqa: F811
    """Store: WIDGET 20 at 4.00, GADGET 3 at 10.00, BOLT none at 1.50;
    C-ACME (rep REP-1), C-VIP (no rep). Times before NOW (d = days):

    - O1 ACME (10 d): WIDGET 5, GADGET 2; shipped complete 9 d ago.
    - O2 ACME (20 d): WIDGET 4 shipped 19 d ago; BOLT 3 -> B1, restocked and
      dispatched 15 d ago + 3 h: filled in 5 days.
    - O5 ACME (14 d): BOLT 4 -> B4, dispatched 2 d ago: 12 days.
    - O4 VIP (2 d): BOLT 2 -> B3, cancelled 1 d ago for excessive_delay.
    - O3 VIP (3 d): GADGET 3: 1 held, not shipped (pending) + B2 (GADGET 2,
      expected 2026-12-08 by hand).
    - O6 ACME (8 d): BOLT 5 -> B5 (expected 2026-12-11 by hand).
    - O7 VIP (31 d, before the 30-day period): GADGET 1, BOLT 1 -> B6 (its
      GADGET promised on a PO of 5 expected 2026-12-16; BOLT not dated).
    """
    create_supplier(code="SUP-1", name="Supplier one")
    loc = pick_location.id
    o1 = _order("C-ACME", ("WIDGET", 5), ("GADGET", 2))
    _ship_order(o1.order.number)
    o2 = _order("C-ACME", ("WIDGET", 4), ("BOLT", 3))
    b1 = o2.backorders[0]
    first_o2 = _ship_order(o2.order.number)
    _restock("BOLT", 3, loc)
    f_b1 = dispatch_fulfillment(number=fulfil_backorder(number=b1.number).number)
    o5 = _order("C-ACME", ("BOLT", 4))
    b4 = o5.backorders[0]
    _restock("BOLT", 4, loc)
    f_b4 = dispatch_fulfillment(number=fulfil_backorder(number=b4.number).number)
    o4 = _order("C-VIP", ("BOLT", 2))
    b3 = o4.backorders[0]
    cancel_backorder_and_feed(number=b3.number, reason="excessive_delay")
    o3 = _order("C-VIP", ("GADGET", 3))
    b2 = o3.backorders[0]
    o6 = _order("C-ACME", ("BOLT", 5))
    b5 = o6.backorders[0]
    o7 = _order("C-VIP", ("GADGET", 1), ("BOLT", 1))
    b6 = o7.backorders[0]
    create_purchase_order(supplier="SUP-1", lines=[PurchaseLineInput("GADGET", 5)],
                          expected_date=dt.date(2026, 12, 16))

    d = dt.timedelta(days=1)
    _pin(SalesOrder, o1.order, created_at=NOW - 10 * d)
    Fulfillment.objects.filter(order_id=o1.order.id).update(dispatched_at=NOW - 9 * d)
    _pin(SalesOrder, o2.order, created_at=NOW - 20 * d)
    _pin(Backorder, b1, created_at=NOW - 20 * d)
    _pin(Fulfillment, first_o2, dispatched_at=NOW - 19 * d)
    _pin(Fulfillment, f_b1, dispatched_at=NOW - 15 * d + dt.timedelta(hours=3))
    _pin(SalesOrder, o5.order, created_at=NOW - 14 * d)
    _pin(Backorder, b4, created_at=NOW - 14 * d)
    _pin(Fulfillment, f_b4, dispatched_at=NOW - 2 * d)
    _pin(SalesOrder, o4.order, created_at=NOW - 2 * d)
    _pin(Backorder, b3, created_at=NOW - 2 * d, cancelled_at=NOW - 1 * d)
    _pin(SalesOrder, o3.order, created_at=NOW - 3 * d)
    _pin(Backorder, b2, created_at=NOW - 3 * d, expected_date=dt.date(2026, 12, 8),
         expected_date_manual=True)
    _pin(SalesOrder, o6.order, created_at=NOW - 8 * d)
    _pin(Backorder, b5, created_at=NOW - 8 * d, expected_date=dt.date(2026, 12, 11),
         expected_date_manual=True)
    _pin(SalesOrder, o7.order, created_at=NOW - 31 * d)
    _pin(Backorder, b6, created_at=NOW - 31 * d)
    return SimpleNamespace(b1=b1, b2=b2, b3=b3, b4=b4, b5=b5, b6=b6, now=NOW, today=TODAY,
                           o3=o3)


@pytest.fixture
def at_now(monkeypatch):
    """Pin `timezone.now()` (and so localdate) to NOW for code that asks for it."""
    monkeypatch.setattr(timezone, "now", lambda: NOW)
    return NOW

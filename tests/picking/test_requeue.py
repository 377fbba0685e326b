"""A fulfillment waiting on the issues wall (`wait`) goes back to the pick
queue by itself when stock for its missing units is allocated to it, on
every path that feeds backorders, not only receipts and adjustments."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import fillrate
from fillrate.backorders.models import Backorder, CancelReason
from fillrate.core.models import Event
from fillrate.fulfilment.models import Fulfillment
from fillrate.picking.services import create_pick_run, mark_missing, record_pick
from fillrate.workflows.adjust_stock import adjust_stock_and_feed
from fillrate.workflows.cancel_backorder import cancel_backorder_and_feed
from fillrate.workflows.cancel_order import cancel_order
from fillrate.workflows.resolve_issue import resolve_issue
from tests.imports.conftest import csv_text, do_import
from tests.orders.support import levels, place
from tests.picking.support import queued, tote

pytestmark = pytest.mark.django_db


def status(f) -> str:
    return Fulfillment.objects.get(id=f.id).status


def waiting_for_gadgets(*, gadgets: int):
    """An order of WIDGET 1 and `gadgets` GADGET; WIDGET picked into T1, the
    GADGETs reported missing at A-01 and the supervisor decides `wait`."""
    f = queued("C-ACME", ("WIDGET", 1), ("GADGET", gadgets))
    tote()
    run = create_pick_run(fulfillments=[f.number])
    record_pick(run=run.number, fulfillment=f.number, sku="WIDGET", location="A-01",
                quantity=1, tote="T1")
    issue = mark_missing(fulfillment=f.number, sku="GADGET", quantity=gadgets,
                         location="A-01")
    assert resolve_issue(number=issue.number, action="wait").fulfillment_status == "backorder"
    return f


def requeued(f) -> bool:
    return Event.objects.filter(type="FulfillmentQueued", subject=f.number).count() == 2


def test_back_to_the_queue_when_the_order_holding_the_stock_is_cancelled(store):
    other = place("C-VIP", ("GADGET", 2)).order  # holds 2 of the 3 GADGET at A-01
    f = waiting_for_gadgets(gadgets=1)
    assert levels("GADGET") == {"A-01": (2, 2)}
    assert status(f) == "backorder"
    cancel_order(number=other.number)
    assert status(f) == "queued"
    assert requeued(f)
    assert levels("GADGET") == {"A-01": (2, 1)}
    run = create_pick_run()
    record_pick(run=run.number, fulfillment=f.number, sku="GADGET", location="A-01",
                quantity=1, tote="T1")
    assert status(f) == "picked"


def test_still_waiting_while_the_cancel_frees_too_little(store):
    other = place("C-VIP", ("GADGET", 1)).order
    f = waiting_for_gadgets(gadgets=2)
    assert levels("GADGET") == {"A-01": (1, 1)}
    cancel_order(number=other.number)
    # One of its two missing units is allocated: it keeps waiting.
    assert status(f) == "backorder"
    assert levels("GADGET") == {"A-01": (1, 1)}


def test_back_to_the_queue_when_a_backorder_holding_the_stock_is_cancelled(store):
    # C-VIP gets the 3 GADGET at A-01 and waits for 1 more, which an
    # adjustment of 2 gives its backorder: the backorder holds it when the
    # customer cancels it. The other unit goes to the order that goes missing.
    other = place("C-VIP", ("GADGET", 4)).order
    adjust_stock_and_feed(product_id=store.gadget.id, quantity=2, reason="found")
    held = Backorder.objects.get(order_id=other.id)
    assert held.status == "ready"
    f = waiting_for_gadgets(gadgets=1)
    assert status(f) == "backorder"
    assert levels("GADGET") == {"A-01": (4, 4)}
    cancel_backorder_and_feed(number=held.number, reason=CancelReason.CUSTOMER_REQUESTED)
    assert status(f) == "queued"
    assert requeued(f)


def test_back_to_the_queue_after_a_csv_stock_import(store):
    f = waiting_for_gadgets(gadgets=3)
    assert levels("GADGET") == {"A-01": (0, 0)}
    result = do_import("stock", csv_text("sku,location,quantity", "GADGET,A-01,3"))
    assert result.extra["backorder_lines_fed"] == 1
    assert status(f) == "queued"
    assert requeued(f)
    assert levels("GADGET") == {"A-01": (3, 3)}


def test_an_import_that_does_not_cover_the_missing_units_leaves_it_waiting(store):
    f = waiting_for_gadgets(gadgets=3)
    do_import("stock", csv_text("sku,location,quantity", "GADGET,A-01,2"))
    assert status(f) == "backorder"
    do_import("stock", csv_text("sku,location,quantity", "GADGET,A-01,3"))
    assert status(f) == "queued"


def test_every_feed_goes_through_feed_and_requeue():
    """Only `fillrate.workflows.feeding` calls `feed_backorders`: every other
    path feeds through `feed_and_requeue`, so none can forget the queue."""
    src = Path(fillrate.__file__).parent
    callers = []
    for path in sorted(src.rglob("*.py")):
        rel = path.relative_to(src).as_posix()
        if "migrations" in rel or rel in ("backorders/feeding.py", "workflows/feeding.py"):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call):
                name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
                if name == "feed_backorders":
                    callers.append(f"{rel}:{node.lineno}")
    assert callers == []

"""The supervisor's decisions: found, cancel, split and wait."""

from __future__ import annotations

from decimal import Decimal

import pytest

from fillrate.backorders.models import Backorder, Communication
from fillrate.core.errors import Conflict, InvalidValue
from fillrate.core.models import Event
from fillrate.fulfilment.models import Fulfillment
from fillrate.inventory.models import StockMovement
from fillrate.orders.models import OrderLine
from fillrate.picking.selectors import fulfillment_path, issues_wall
from fillrate.picking.services import create_pick_run, mark_missing, pack_tote, record_pick
from fillrate.workflows.adjust_stock import adjust_stock_and_feed
from fillrate.workflows.dispatch import dispatch_fulfillment
from fillrate.workflows.payments import pay_order
from fillrate.workflows.resolve_issue import resolve_issue
from tests.orders.support import levels, snapshot
from tests.picking.support import queued, tote

pytestmark = pytest.mark.django_db


def status(f) -> str:
    return Fulfillment.objects.get(id=f.id).status


def gadget_line(f) -> OrderLine:
    return OrderLine.objects.get(order_id=f.order_id, product__sku="GADGET")


def picked_with_missing_gadget(*, gadgets=2, missing=2, picked=0):
    """An order of WIDGET 1 and `gadgets` GADGET, WIDGET and `picked`
    GADGET picked into T1, `missing` GADGET reported missing at A-01."""
    f = queued("C-ACME", ("WIDGET", 1), ("GADGET", gadgets))
    tote()
    run = create_pick_run(fulfillments=[f.number])
    record_pick(run=run.number, fulfillment=f.number, sku="WIDGET", location="A-01",
                quantity=1, tote="T1")
    if picked:
        record_pick(run=run.number, fulfillment=f.number, sku="GADGET", location="A-01",
                    quantity=picked, tote="T1")
    issue = mark_missing(fulfillment=f.number, sku="GADGET", quantity=missing, location="A-01")
    return f, issue


def test_the_wall_shows_what_the_supervisor_checks(store):
    f, issue = picked_with_missing_gadget()
    (row,) = issues_wall([issue])
    assert (row.order, row.customer, row.tote) == (f.order.number, "C-ACME", "T1")
    assert [(x.location, x.on_hand, x.allocated) for x in row.elsewhere] == [("A-01", 3, 2)]
    assert [(r.location, r.quantity) for r in row.receipts] == []


def test_split_backorders_the_missing_units_and_the_rest_ships(store):
    f, issue = picked_with_missing_gadget()
    resolved = resolve_issue(number=issue.number, action="split")
    assert resolved.fulfillment_status == "picked" and resolved.backorder
    backorder = Backorder.objects.get(id=int(resolved.backorder.split("-")[1]))
    assert backorder.lines.get().quantity == 2
    # the 2 missing left the ledger; the 1 still recorded went to the new backorder
    assert levels("GADGET") == {"A-01": (1, 1)}
    assert StockMovement.objects.filter(kind="missing").get().quantity == -2
    assert gadget_line(f).backordered == 2 and gadget_line(f).allocated == 0
    assert Communication.objects.filter(backorder=backorder).count() == 1
    assert pack_tote(code="T1").packed == [f.number]
    dispatched = dispatch_fulfillment(number=f.number, carrier="DPD")
    assert [(x.product.sku, x.quantity) for x in dispatched.invoice.lines.all()] == [
        ("WIDGET", 1)]
    assert levels("WIDGET")["tote:T1"] == (0, 0)


def test_found_elsewhere_moves_the_stock_and_sends_the_fulfillment_back(store):
    f, issue = picked_with_missing_gadget(missing=1, picked=1)
    resolved = resolve_issue(number=issue.number, action="found", location="B-01")
    assert resolved.fulfillment_status == "queued"
    assert levels("GADGET") == {"A-01": (1, 0), "B-01": (1, 1), "tote:T1": (1, 1)}
    assert list(StockMovement.objects.filter(reason="correction").order_by("id")
                .values_list("location__code", "quantity")) == [("A-01", -1), ("B-01", 1)]
    steps = [(s.location, s.sku, s.quantity, s.picked) for s in fulfillment_path([f.id])]
    assert steps == [("A-01", "GADGET", 1, 1), ("A-01", "WIDGET", 1, 1),
                     ("B-01", "GADGET", 1, 0)]
    run = create_pick_run(fulfillments=[f.number])
    record_pick(run=run.number, fulfillment=f.number, sku="GADGET", location="B-01",
                quantity=1, tote="T1")
    assert status(f) == "picked"


def test_cancel_records_the_money_owed_and_the_rest_goes_to_pack(store):
    f, issue = picked_with_missing_gadget(missing=1, picked=1)
    pay_order(number=f.order.number)  # 4.00 + 2 x 10.00
    resolved = resolve_issue(number=issue.number, action="cancel")
    assert resolved.money_owed == Decimal("10.00") and resolved.fulfillment_status == "picked"
    line = gadget_line(f)
    assert (line.allocated, line.cancelled) == (1, 1)
    assert Event.objects.filter(type="OrderUnitsCancelled", subject=f.order.number).exists()
    assert pack_tote(code="T1").packed == [f.number]


def test_wait_keeps_the_fulfillment_until_stock_comes_back(store):
    f, issue = picked_with_missing_gadget(gadgets=3, missing=3)
    resolved = resolve_issue(number=issue.number, action="wait")
    assert resolved.fulfillment_status == "backorder"
    assert levels("GADGET") == {"A-01": (0, 0)}
    adjust_stock_and_feed(product_id=store.gadget.id, quantity=3, reason="found")
    assert status(f) == "queued"
    run = create_pick_run()
    record_pick(run=run.number, fulfillment=f.number, sku="GADGET", location="A-01",
                quantity=3, tote="T1")
    assert status(f) == "picked"
    pack_tote(code="T1")
    invoice = dispatch_fulfillment(number=f.number).invoice
    assert sorted((x.product.sku, x.quantity) for x in invoice.lines.all()) == [
        ("GADGET", 3), ("WIDGET", 1)]


def test_bad_decisions_change_nothing(store):
    _, issue = picked_with_missing_gadget()
    before = snapshot()
    for kwargs, code in (
            (dict(action="lose"), "picking.invalid_action"),
            (dict(action="found"), "picking.location_required"),
            (dict(action="split", location="B-01"), "picking.location_not_expected")):
        with pytest.raises(InvalidValue) as err:
            resolve_issue(number=issue.number, **kwargs)
        assert err.value.code == code
    assert snapshot() == before
    resolve_issue(number=issue.number, action="split")
    with pytest.raises(Conflict) as err:
        resolve_issue(number=issue.number, action="split")
    assert err.value.code == "picking.issue_resolved"

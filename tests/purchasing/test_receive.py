"""Receiving purchase orders: stock and ledger effects, the purchase order's
progress, over-receipt, backorders fed in the same transaction, `incoming`,
and refused receipts that change nothing."""

from __future__ import annotations

import pytest

from fillrate.accounts.permissions import Role
from fillrate.backorders.models import Backorder, BackorderLine
from fillrate.backorders.selectors import product_figures
from fillrate.cli import main
from fillrate.core.errors import Conflict, InvalidValue
from fillrate.core.models import Event
from fillrate.inventory.models import StockLevel, StockMovement
from fillrate.purchasing.models import PurchaseOrderLine, Receipt
from fillrate.purchasing.services import PurchaseLineInput
from fillrate.workflows.purchase_orders import cancel_purchase_order, create_purchase_order
from fillrate.workflows.receive import ReceiptLineInput, receive_purchase_order
from tests.factories import LocationFactory
from tests.helpers import assert_error, db_state
from tests.orders.support import place

POS = "/api/v1/purchase-orders"


def buy(*lines, status="ordered"):
    return create_purchase_order(supplier="ACME-SUP", status=status,
                                 lines=[PurchaseLineInput(s, q) for s, q in lines]).number


def receipts(number):
    return f"{POS}/{number}/receipts"


def level(sku, code):
    lv = StockLevel.objects.filter(product__sku=sku, location__code=code).first()
    return (lv.on_hand, lv.allocated) if lv else None


def po_lines(number):
    return {x.product.sku: (x.quantity, x.received, x.cancelled, x.outstanding)
            for x in PurchaseOrderLine.objects.filter(
                purchase_order__id=int(number[3:])).select_related("product")}


# -- stock, ledger and the purchase order's progress ------------------------------


def test_a_partial_receipt_then_the_rest(api, buying):
    number = buy(("WIDGET", 10), ("GADGET", 3))
    r = api.post(receipts(number), {"lines": [{"sku": "WIDGET", "quantity": 4}]})
    assert r.status_code == 201, r.content
    body = r.json()
    receipt = Receipt.objects.get()
    assert body["number"] == receipt.number and body["number"].startswith("RC-")
    assert (body["purchase_order"], body["status"], body["location"]) == (
        number, "partially_received", "RECV")
    assert (body["lines"], body["allocations"], body["over_receipt"]) == (
        [{"sku": "WIDGET", "quantity": 4}], [], False)
    assert body["by"] == "administrator-user"

    assert level("WIDGET", "RECV") == (4, 0)
    assert level("WIDGET", "A-01") == (4, 0)
    (movement,) = StockMovement.objects.filter(kind="received")
    assert (movement.product.sku, movement.location.code, movement.quantity,
            movement.on_hand_after, movement.reference, movement.actor.username) == (
        "WIDGET", "RECV", 4, 4, number, "administrator-user")
    assert po_lines(number) == {"WIDGET": (10, 4, 0, 6), "GADGET": (3, 0, 0, 3)}
    figures = product_figures("WIDGET")
    assert (figures.on_hand, figures.available, figures.incoming) == (8, 8, 6)
    assert product_figures("GADGET").incoming == 3

    r = api.post(receipts(number), {"lines": [{"sku": "GADGET", "quantity": 3},
                                              {"sku": "widget", "quantity": 6}]})
    assert r.status_code == 201, r.content
    assert r.json()["status"] == "received"
    assert r.json()["lines"] == [{"sku": "GADGET", "quantity": 3},
                                 {"sku": "WIDGET", "quantity": 6}]
    assert level("WIDGET", "RECV") == (10, 0) and level("GADGET", "RECV") == (3, 0)
    assert [m.on_hand_after for m in StockMovement.objects.filter(
        kind="received", product__sku="WIDGET").order_by("id")] == [4, 10]
    assert po_lines(number) == {"WIDGET": (10, 10, 0, 0), "GADGET": (3, 3, 0, 0)}
    assert (product_figures("WIDGET").incoming, product_figures("GADGET").incoming) == (0, 0)

    detail = api.get(f"{POS}/{number}").json()
    assert [(x["number"], x["location"], x["lines"]) for x in detail["receipts"]] == [
        (receipt.number, "RECV", [{"sku": "WIDGET", "quantity": 4}]),
        (Receipt.objects.order_by("-id").first().number, "RECV",
         [{"sku": "GADGET", "quantity": 3}, {"sku": "WIDGET", "quantity": 6}])]
    assert [e["type"] for e in detail["events"]] == [
        "PurchaseOrderCreated", "PurchaseOrderReceived", "PurchaseOrderStatusChanged",
        "PurchaseOrderReceived", "PurchaseOrderStatusChanged"]
    changes = [e["payload"] for e in detail["events"] if e["type"].endswith("StatusChanged")]
    assert changes == [{"old": "ordered", "new": "partially_received"},
                       {"old": "partially_received", "new": "received"}]
    stock_events = Event.objects.filter(type="StockReceived", subject="WIDGET").order_by("id")
    assert [(e.payload["quantity"], e.payload["on_hand"], e.payload["purchase_order"])
            for e in stock_events] == [(4, 4, number), (6, 10, number)]
    assert main(["check"]) == 0


def test_the_receipt_body_is_exactly_the_documented_schema(api, buying):
    """The receipt is encoded without a second validation pass (it can list
    25,000+ allocations), so the body is held here to `ReceiptOut`."""
    from fillrate.api.routers.purchasing import ReceiptOut

    first = place("C-ACME", ("GADGET", 5)).backorders[0].number
    second = place("C-ACME", ("GADGET", 2)).backorders[0].number
    r = api.post(receipts(buy(("GADGET", 20))), {"lines": [{"sku": "GADGET", "quantity": 6}]})
    assert r.status_code == 201, r.content
    body = r.json()
    assert set(body) == set(ReceiptOut.model_fields)
    validated = ReceiptOut.model_validate(body)
    assert [(a.backorder, a.quantity) for a in validated.allocations] == [(first, 5), (second, 1)]
    assert body["allocation_summary"] == {"lines": 2, "units": 6, "backorders": 2}
    assert set(body["lines"][0]) == {"sku", "quantity"}


def test_a_receipt_can_go_to_a_named_location(api, buying):
    number = buy(("WIDGET", 10))
    r = api.post(receipts(number), {"lines": [{"sku": "WIDGET", "quantity": 5}],
                                    "location": "A-01"})
    assert r.status_code == 201, r.content
    # (ordering made an empty level at the receiving location to lock on)
    assert level("WIDGET", "A-01") == (9, 0) and level("WIDGET", "RECV") == (0, 0)
    assert StockMovement.objects.get(kind="received").on_hand_after == 9


# -- over-receipt -----------------------------------------------------------------


def test_more_than_is_outstanding_is_refused_naming_the_line(api, buying):
    number = buy(("WIDGET", 10), ("GADGET", 3))
    api.post(receipts(number), {"lines": [{"sku": "GADGET", "quantity": 2}]})
    before = db_state()
    error = assert_error(api.post(receipts(number), {"lines": [
        {"sku": "WIDGET", "quantity": 10}, {"sku": "GADGET", "quantity": 2}]}), 422,
        "purchasing.over_receipt", field="lines[1].quantity")
    assert "1 outstanding" in error["message"]
    assert db_state() == before


def test_over_receipt_when_the_request_allows_it(api, buying):
    number = buy(("WIDGET", 10))
    r = api.post(receipts(number), {"lines": [{"sku": "WIDGET", "quantity": 12}],
                                    "allow_over_receipt": True})
    assert r.status_code == 201, r.content
    assert (r.json()["status"], r.json()["over_receipt"]) == ("received", True)
    assert po_lines(number) == {"WIDGET": (10, 12, 0, 0)}
    assert level("WIDGET", "RECV") == (12, 0)
    assert product_figures("WIDGET").incoming == 0
    assert api.get(f"{POS}/{number}").json()["outstanding"] == 0


# -- refused receipts change nothing -----------------------------------------------


@pytest.mark.parametrize(("body", "status", "code", "field"), [
    ({"lines": []}, 422, "purchasing.no_lines", "lines"),
    ({"lines": [{"sku": "WIDGET", "quantity": 0}]}, 422, "purchasing.invalid_quantity",
     "lines[0].quantity"),
    ({"lines": [{"sku": "WIDGET", "quantity": 2**31}]}, 422, "purchasing.invalid_quantity",
     "lines[0].quantity"),
    ({"lines": [{"sku": "WIDGET", "quantity": 1}, {"sku": "WIDGET", "quantity": 1}]}, 422,
     "purchasing.duplicate_sku", "lines[1].sku"),
    ({"lines": [{"sku": "WIDGET", "quantity": 1}, {"sku": "GADGET", "quantity": 1}]}, 422,
     "purchasing.not_on_order", "lines[1].sku"),
    ({"lines": [{"sku": "NOPE", "quantity": 1}]}, 404, "catalog.unknown_sku",
     "lines[0].sku"),
    ({"lines": [{"sku": "WIDGET", "quantity": 1}], "location": "NOWHERE"}, 404,
     "inventory.unknown_location", "location"),
    ({"lines": [{"sku": "WIDGET", "quantity": 1}], "location": "ISSUES"}, 422,
     "purchasing.unsellable_location", "location"),
    ({"lines": [{"sku": "WIDGET"}]}, 422, "request.invalid", "lines[0].quantity"),
])
def test_refused_receipts_change_nothing(api, buying, issues_location, body, status, code,
                                         field):
    number = buy(("WIDGET", 10))
    before = db_state()
    assert_error(api.post(receipts(number), body), status, code, field=field)
    assert db_state() == before


@pytest.mark.parametrize("make", ["draft", "received", "cancelled"])
def test_only_ordered_purchase_orders_can_be_received(api, buying, make):
    number = buy(("WIDGET", 2), status="draft" if make == "draft" else "ordered")
    if make == "received":
        receive_purchase_order(number=number, lines=[ReceiptLineInput("WIDGET", 2)])
    if make == "cancelled":
        cancel_purchase_order(number=number)
    before = db_state()
    error = assert_error(api.post(receipts(number), {
        "lines": [{"sku": "WIDGET", "quantity": 1}], "allow_over_receipt": True}), 409,
        "purchasing.not_receivable", field="status")
    assert make in error["message"]
    assert db_state() == before


def test_without_a_receiving_location_a_location_must_be_named(api, stock, db):
    from fillrate.purchasing.services import create_supplier
    from tests.factories import ProductFactory

    create_supplier(code="ACME-SUP", name="Acme")
    stock(ProductFactory(sku="WIDGET"), 1)
    number = buy(("WIDGET", 3))
    before = db_state()
    assert_error(api.post(receipts(number), {"lines": [{"sku": "WIDGET", "quantity": 1}]}),
                 409, "purchasing.no_receiving_location", field="location")
    assert db_state() == before
    r = api.post(receipts(number), {"lines": [{"sku": "WIDGET", "quantity": 1}],
                                    "location": "A-01"})
    assert r.status_code == 201, r.content


def test_the_workflow_refuses_before_it_writes(buying):
    number = buy(("WIDGET", 1))
    before = db_state()
    with pytest.raises(InvalidValue):
        receive_purchase_order(number=number, lines=[ReceiptLineInput("WIDGET", 2)])
    cancel_purchase_order(number=number)
    after_cancel = db_state()
    with pytest.raises(Conflict):
        receive_purchase_order(number=number, lines=[ReceiptLineInput("WIDGET", 1)])
    assert db_state() == after_cancel
    assert after_cancel["purchasing.Receipt"] == before["purchasing.Receipt"] == 0


# -- backorders get received stock first (invariant 3) -----------------------------


def test_received_stock_goes_to_waiting_backorders_oldest_first(api, buying):
    first = place("C-ACME", ("GADGET", 5)).backorders[0].number
    second = place("C-ACME", ("GADGET", 2)).backorders[0].number
    number = buy(("GADGET", 20))
    assert product_figures("GADGET").backordered == 7

    r = api.post(receipts(number), {"lines": [{"sku": "GADGET", "quantity": 3}]})
    assert r.status_code == 201, r.content
    assert r.json()["allocations"] == [{"backorder": first, "sku": "GADGET", "quantity": 3}]
    assert Backorder.objects.get(id=int(first[3:])).status == "open"
    assert level("GADGET", "RECV") == (3, 3)

    r = api.post(receipts(number), {"lines": [{"sku": "GADGET", "quantity": 10}]})
    assert r.json()["allocations"] == [
        {"backorder": first, "sku": "GADGET", "quantity": 2},
        {"backorder": second, "sku": "GADGET", "quantity": 2}]
    statuses = dict(Backorder.objects.values_list("id", "status"))
    assert statuses[int(first[3:])] == statuses[int(second[3:])] == "ready"
    assert sorted(BackorderLine.objects.values_list("quantity", "allocated")) == [(2, 2),
                                                                                 (5, 5)]
    figures = product_figures("GADGET")
    assert (figures.on_hand, figures.allocated, figures.available, figures.incoming) == (
        13, 7, 6, 7)
    assert Event.objects.filter(type="BackorderAllocated", subject=first).count() == 2
    assert Event.objects.get(type="BackorderAllocated", subject=second).payload["cause"] == \
        number
    assert main(["check"]) == 0


# -- cancelling after receipts -----------------------------------------------------


def test_cancelling_a_partly_received_order_closes_only_the_outstanding_rest(api, buying):
    number = buy(("WIDGET", 10), ("GADGET", 3))
    api.post(receipts(number), {"lines": [{"sku": "WIDGET", "quantity": 4}]})
    r = api.post(f"{POS}/{number}/cancel", {"reason": "supplier went quiet"})
    assert r.status_code == 200, r.content
    body = r.json()
    assert (body["status"], body["received"], body["outstanding"]) == ("cancelled", 4, 0)
    assert po_lines(number) == {"WIDGET": (10, 4, 6, 0), "GADGET": (3, 0, 3, 0)}
    assert level("WIDGET", "RECV") == (4, 0)  # what arrived stays in stock
    assert (product_figures("WIDGET").incoming, product_figures("GADGET").incoming) == (0, 0)
    (event,) = Event.objects.filter(type="PurchaseOrderCancelled")
    assert event.payload["closed"] == [{"sku": "WIDGET", "quantity": 6},
                                       {"sku": "GADGET", "quantity": 3}]
    assert event.payload["previous_status"] == "partially_received"
    assert main(["check"]) == 0


def test_a_fully_received_order_cannot_be_cancelled(api, buying):
    number = buy(("WIDGET", 2))
    api.post(receipts(number), {"lines": [{"sku": "WIDGET", "quantity": 2}]})
    before = db_state()
    assert_error(api.post(f"{POS}/{number}/cancel"), 409, "purchasing.invalid_transition",
                 field="status")
    assert db_state() == before


# -- incoming ------------------------------------------------------------------------


def test_incoming_counts_outstanding_units_on_open_orders_only(api, buying):
    buy(("WIDGET", 10))
    partly = buy(("WIDGET", 5), ("GADGET", 4))
    receive_purchase_order(number=partly, lines=[ReceiptLineInput("WIDGET", 2)])
    buy(("WIDGET", 100), status="draft")
    cancel_purchase_order(number=buy(("WIDGET", 50)))
    over = buy(("GADGET", 1))
    receive_purchase_order(number=over, lines=[ReceiptLineInput("GADGET", 6)],
                           allow_over_receipt=True)
    assert product_figures("WIDGET").incoming == 13
    assert product_figures("GADGET").incoming == 4
    listed = {p["sku"]: p["incoming"] for p in api.get("/api/v1/products").json()["items"]}
    assert listed == {"WIDGET": 13, "GADGET": 4}
    assert api.get("/api/v1/products/WIDGET").json()["incoming"] == 13


# -- who may receive, and retries ----------------------------------------------------


def test_warehouse_staff_receive_and_sales_may_not(make_api, buying):
    number = buy(("WIDGET", 5))
    assert make_api(Role.WAREHOUSE).post(receipts(number), {"lines": [
        {"sku": "WIDGET", "quantity": 1}]}).status_code == 201
    sales = make_api(Role.SALES)
    before = db_state()
    assert_error(sales.post(receipts(number), {"lines": [
        {"sku": "WIDGET", "quantity": 1}]}), 403, "auth.forbidden")
    assert db_state() == before


def test_a_retried_receipt_with_the_same_idempotency_key_has_one_effect(api, buying):
    number = buy(("WIDGET", 5))
    body = {"lines": [{"sku": "WIDGET", "quantity": 2}]}
    first = api.post(receipts(number), body, headers={"Idempotency-Key": "rc-1"})
    again = api.post(receipts(number), body, headers={"Idempotency-Key": "rc-1"})
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert Receipt.objects.count() == 1 and level("WIDGET", "RECV") == (2, 0)


def test_receiving_into_a_bulk_location_of_another_warehouse(api, buying):
    LocationFactory(code="BULK-2", kind="bulk", pick_sequence=50)
    number = buy(("WIDGET", 3))
    r = api.post(receipts(number), {"lines": [{"sku": "WIDGET", "quantity": 3}],
                                    "location": "BULK-2"})
    assert r.status_code == 201, r.content
    assert level("WIDGET", "BULK-2") == (3, 0)

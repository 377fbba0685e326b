"""Order and purchase-order files go through the same workflows as the API."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from fillrate.backorders.models import Backorder, Promise
from fillrate.core.business import change_settings
from fillrate.core.models import Event
from fillrate.orders.models import OrderLine, SalesOrder
from fillrate.purchasing.models import PurchaseOrder
from fillrate.purchasing.services import create_supplier
from fillrate.workflows.imports import ImportFailed
from fillrate.workflows.invariants import all_problems
from tests.factories import CustomerFactory, ProductFactory
from tests.helpers import db_state
from tests.imports.conftest import csv_text, do_import, export

ORDERS = csv_text(
    "order,customer,reference,hold,sku,quantity,unit_price",
    "web-1,C-1,PO 77,,A,3,",
    "web-1,C-1,PO 77,,B,5,9.50",
    "web-2,C-1,,,A,1,",
)


@pytest.fixture
def shop(db, stock):
    CustomerFactory(code="C-1")
    stock(ProductFactory(sku="A", list_price=Decimal("4.00")), 10)
    stock(ProductFactory(sku="B"), 2)


def test_orders_are_placed_with_allocation_and_backorders(shop):
    result = do_import("orders", ORDERS)
    assert (result.rows, result.created, result.extra) == (
        3, 2, {"lines": 3, "backorders_opened": 1})
    first, second = SalesOrder.objects.order_by("id")
    assert first.reference == "PO 77"
    lines = {x.product.sku: x for x in OrderLine.objects.filter(order=first)}
    assert (lines["A"].allocated, lines["A"].unit_price) == (3, Decimal("4.00"))
    assert (lines["B"].allocated, lines["B"].backordered, lines["B"].unit_price) == (
        2, 3, Decimal("9.50"))
    assert Backorder.objects.get().order_id == first.id
    assert Event.objects.filter(type="OrderPlaced").count() == 2
    assert Event.objects.filter(type="BackorderOpened").count() == 1
    assert all_problems() == []


def test_order_errors_name_row_and_column_and_nothing_is_placed(shop):
    before = db_state()
    with pytest.raises(ImportFailed) as failed:
        do_import("orders", csv_text(
            "order,customer,sku,quantity",
            "1,C-1,A,1",
            "1,C-2,A,2",  # another customer, a repeated SKU
            "2,NOBODY,NOPE,1",
            "1,C-1,B,1",  # order 1 again after order 2
            "3,C-1,A,0",
        ))
    assert [(e.row, e.column) for e in failed.value.errors] == [
        (3, "customer"), (3, "customer"), (3, "sku"), (4, "customer"), (4, "sku"), (5, "order"),
        (6, "quantity")]
    assert db_state() == before


def test_a_workflow_refusal_fails_the_whole_file(shop):
    change_settings(changes={"oversell_policy": "reject"})
    before = db_state()
    with pytest.raises(ImportFailed) as failed:
        do_import("orders", ORDERS)
    (error,) = failed.value.errors
    assert (error.row, error.column) == (3, "quantity")  # B: 5 ordered, 2 available
    assert db_state() == before


def test_a_dry_run_places_nothing(shop):
    before = db_state()
    result = do_import("orders", ORDERS, dry_run=True)
    assert (result.created, result.extra["backorders_opened"]) == (2, 1)
    assert db_state() == before


def test_an_order_export_imports_without_effect(shop):
    do_import("orders", ORDERS)
    text = export("orders")
    assert text.splitlines()[0] == ("order,customer,reference,hold,sku,quantity,unit_price,"
                                    "status,allocated,backordered,shipped,cancelled")
    before = db_state()
    result = do_import("orders", text)
    assert (result.created, result.unchanged) == (0, 2)
    state = db_state()
    for s in (state, before):
        s.pop("core.Event")
    assert state == before
    assert export("orders") == text


PURCHASE_ORDERS = csv_text(
    "purchase_order,supplier,expected_date,status,sku,quantity,unit_cost",
    "p1,SUP-1,2031-02-01,,B,10,1.25",
    "p2,SUP-1,,draft,A,4,",
)


def test_purchase_orders_promise_their_stock_to_waiting_backorders(shop):
    create_supplier(code="SUP-1", name="Acme", lead_time_days=5)
    do_import("orders", ORDERS)  # 3 of B backordered
    result = do_import("purchase-orders", PURCHASE_ORDERS)
    assert (result.created, result.extra) == (2, {"lines": 2})
    ordered, draft = PurchaseOrder.objects.order_by("id")
    assert (ordered.status, ordered.expected_date) == ("ordered", dt.date(2031, 2, 1))
    assert draft.status == "draft"
    promise = Promise.objects.get()
    assert (promise.quantity, promise.purchase_order_line.purchase_order_id) == (3, ordered.id)
    assert Backorder.objects.get().expected_date == dt.date(2031, 2, 1)
    assert all_problems() == []
    text = export("purchase-orders")
    assert do_import("purchase-orders", text).unchanged == 2
    assert export("purchase-orders") == text


def test_purchase_order_errors(shop):
    create_supplier(code="SUP-1", name="Acme")
    before = db_state()
    with pytest.raises(ImportFailed) as failed:
        do_import("purchase-orders", csv_text(
            "purchase_order,supplier,expected_date,status,sku,quantity",
            "p1,SUP-1,2031-13-01,,A,1",
            "p2,SUP-1,,received,A,1",
            "p3,NOBODY,,,A,1",
        ))
    assert [(e.row, e.column) for e in failed.value.errors] == [
        (2, "expected_date"), (3, "status"), (4, "supplier")]
    assert db_state() == before

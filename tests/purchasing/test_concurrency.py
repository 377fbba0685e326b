"""Real threads against PostgreSQL: concurrent receipts of one purchase order
never receive more than is outstanding, and receipts racing new orders for
the same product never hand a unit out twice. Skipped on SQLite."""

from __future__ import annotations

from functools import partial

import pytest
from django.db.models import Sum

from fillrate.backorders.models import BackorderLine
from fillrate.core.errors import InvalidValue
from fillrate.inventory.models import StockLevel, StockMovement
from fillrate.orders.models import Allocation, OrderLine
from fillrate.orders.services import LineInput
from fillrate.purchasing.models import PurchaseOrderLine
from fillrate.purchasing.services import PurchaseLineInput, create_supplier
from fillrate.workflows.invariants import all_problems
from fillrate.workflows.place_order import place_order
from fillrate.workflows.purchase_orders import create_purchase_order
from fillrate.workflows.receive import ReceiptLineInput, receive_purchase_order
from tests.factories import CustomerFactory, LocationFactory, ProductFactory
from tests.orders.test_concurrency import run_together

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def po(db):
    LocationFactory(code="RECV", kind="receiving", pick_sequence=900)
    LocationFactory(code="A-01", kind="pick", pick_sequence=10)
    create_supplier(code="SUP", name="Supplier")
    ProductFactory(sku="RACE")
    return create_purchase_order(supplier="SUP",
                                 lines=[PurchaseLineInput("RACE", 10)]).number


def test_concurrent_receipts_never_pass_what_is_outstanding(po):
    jobs = [partial(receive_purchase_order, number=po, lines=[ReceiptLineInput("RACE", 3)])
            for _ in range(6)]
    results, errors = run_together(jobs)
    done = [r for r in results if r is not None]
    assert len(done) == 3
    assert all(isinstance(e, InvalidValue) and e.code == "purchasing.over_receipt"
               for e in errors if e is not None)
    line = PurchaseOrderLine.objects.get()
    assert (line.received, line.outstanding) == (9, 1)
    assert StockLevel.objects.aggregate(n=Sum("on_hand"))["n"] == 9
    assert StockMovement.objects.filter(kind="received").count() == 3
    assert all_problems() == []


def test_receipts_racing_new_orders_never_allocate_a_unit_twice(po):
    customer = CustomerFactory(code="C-RACE")
    for _ in range(3):
        place_order(customer=customer.code, lines=[LineInput("RACE", 2)])  # all backordered
    jobs = [partial(receive_purchase_order, number=po, lines=[ReceiptLineInput("RACE", 2)])
            for _ in range(4)]
    jobs += [partial(place_order, customer=customer.code, lines=[LineInput("RACE", 1)])
             for _ in range(4)]
    results, errors = run_together(jobs)
    assert errors == [None] * len(jobs)
    on_hand, allocated = StockLevel.objects.aggregate(
        a=Sum("on_hand"), b=Sum("allocated")).values()
    assert (on_hand, allocated) == (8, 8)
    # 6 units waited before the race and 4 more were ordered during it: each
    # of the 8 received units went to exactly one order line, fed or direct.
    fed = sum(a.quantity for r in results[:4] for a in r.allocations)
    assert 6 <= fed <= 8
    own = OrderLine.objects.aggregate(n=Sum("allocated"))["n"]
    held = BackorderLine.objects.aggregate(n=Sum("allocated"))["n"]
    assert own + held == Allocation.objects.aggregate(n=Sum("quantity"))["n"] == 8
    assert held == fed
    assert all_problems() == []


def test_receipts_re_dates_orders_and_cancels_racing_leave_promises_exact(db):
    """Everything that moves promises, at once on one product: every path
    takes the product's stock level locks first, so each rebuild sees the
    others' results and the stored promises equal a fresh plan after."""
    import datetime as dt

    from fillrate.backorders.models import Backorder
    from fillrate.workflows.cancel_backorder import cancel_backorder_and_feed
    from fillrate.workflows.purchase_orders import (
        create_purchase_order as order_from_supplier,
    )
    from fillrate.workflows.purchase_orders import update_purchase_order

    LocationFactory(code="RECV", kind="receiving", pick_sequence=900)
    create_supplier(code="SUP", name="Supplier")
    ProductFactory(sku="RACE")
    customer = CustomerFactory(code="C-RACE")
    waiting = [place_order(customer=customer.code, lines=[LineInput("RACE", 2)])
               .backorders[0].number for _ in range(6)]
    soon = order_from_supplier(supplier="SUP", expected_date=dt.date(2030, 1, 10),
                               lines=[PurchaseLineInput("RACE", 6)]).number
    later = order_from_supplier(supplier="SUP", expected_date=dt.date(2030, 2, 10),
                                lines=[PurchaseLineInput("RACE", 10)]).number
    jobs = [partial(receive_purchase_order, number=soon, lines=[ReceiptLineInput("RACE", 2)])
            for _ in range(3)]
    jobs += [partial(update_purchase_order, number=later,
                     expected_date=dt.date(2030, 1, day)) for day in (5, 20, 25)]
    jobs += [partial(place_order, customer=customer.code, lines=[LineInput("RACE", 1)])
             for _ in range(3)]
    jobs += [partial(cancel_backorder_and_feed, number=n, reason="customer_requested")
             for n in waiting[-2:]]
    results, errors = run_together(jobs)
    assert errors == [None] * len(jobs)
    assert all_problems() == []
    assert {Backorder.objects.get(id=int(n[3:])).status for n in waiting[-2:]} == {
        "cancelled"}

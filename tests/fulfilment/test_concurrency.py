"""Real threads against PostgreSQL: a fulfillment ships once, units go on one
fulfillment only, and dispatching beside new orders and cancellations of the
same SKU keeps the invariants. Skipped on SQLite (see tests/conftest.py)."""

from __future__ import annotations

import pytest

from fillrate.fulfilment.models import Fulfillment, FulfillmentLine, Invoice
from fillrate.inventory.models import StockMovement
from fillrate.orders.services import LineInput
from fillrate.workflows.cancel_order import cancel_order
from fillrate.workflows.dispatch import dispatch_fulfillment
from fillrate.workflows.fulfil import fulfil_backorder, fulfil_order
from fillrate.workflows.invariants import all_problems
from fillrate.workflows.place_order import place_order
from tests.factories import CustomerFactory, LocationFactory, ProductFactory
from tests.orders.support import allocate_to_backorder, totals
from tests.orders.test_concurrency import put, run_together, unexpected

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def setup(db):
    pick = LocationFactory(code="P-01", kind="pick", pick_sequence=1)
    product = ProductFactory(sku="CONC-1", list_price="2.00")
    put(product, 40, pick)
    customer = CustomerFactory(code="CC-1").code
    return pick, product, customer


def test_a_fulfillment_is_dispatched_once(setup):
    _, product, customer = setup
    placed = place_order(customer=customer, lines=[LineInput(product.sku, 5)])
    made = fulfil_order(number=placed.order.number)

    _, errors = run_together([lambda: dispatch_fulfillment(number=made.number)] * 4)

    assert not unexpected(errors, allowed={"fulfilment.invalid_transition"})
    assert sum(e is None for e in errors) == 1
    assert totals(product.sku) == (35, 0)
    assert StockMovement.objects.filter(kind="shipped").count() == 1
    assert Invoice.objects.count() == 1
    assert all_problems() == []


def test_allocated_units_go_on_one_fulfillment_only(setup):
    _, product, customer = setup
    placed = place_order(customer=customer, lines=[LineInput(product.sku, 50)])
    (backorder,) = placed.backorders
    put(product, 10, setup[0])
    allocate_to_backorder(backorder.number, product.sku, 10)

    _, errors = run_together([lambda: fulfil_backorder(number=backorder.number)] * 4)

    assert not unexpected(errors, allowed={"fulfilment.nothing_to_fulfil"})
    assert Fulfillment.objects.count() == 1
    assert list(FulfillmentLine.objects.values_list("quantity", flat=True)) == [10]
    assert all_problems() == []


def test_dispatch_beside_new_orders_and_cancellations_keeps_the_invariants(setup):
    _, product, customer = setup
    made = []
    for _ in range(4):
        placed = place_order(customer=customer, lines=[LineInput(product.sku, 3)])
        made.append(fulfil_order(number=placed.order.number).number)
    to_cancel = [place_order(customer=customer, lines=[LineInput(product.sku, 2)]).order.number
                 for _ in range(3)]
    jobs = [lambda n=n: dispatch_fulfillment(number=n) for n in made]
    jobs += [lambda n=n: cancel_order(number=n) for n in to_cancel]
    jobs += [lambda: place_order(customer=customer, lines=[LineInput(product.sku, 4)])
             for _ in range(3)]

    _, errors = run_together(jobs)

    assert not unexpected(errors)
    # 40 on hand - 12 shipped; 3 new orders hold 12.
    assert totals(product.sku) == (28, 12)
    assert all_problems() == []

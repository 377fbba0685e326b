"""Real threads against PostgreSQL: refreshing the stored fill-rate outcomes
while orders are placed, shipped and cancelled never leaves an outcome out
of date without a mark (a refresh that took a mark must have read its
change). Skipped on SQLite (see tests/conftest.py)."""

from __future__ import annotations

import pytest

from fillrate.orders.services import LineInput
from fillrate.reports import outcomes
from fillrate.reports.models import OrderOutcome, OutcomeMark
from fillrate.workflows.cancel_order import cancel_order
from fillrate.workflows.dispatch import dispatch_fulfillment
from fillrate.workflows.fulfil import fulfil_order
from fillrate.workflows.invariants import all_problems
from fillrate.workflows.place_order import place_order
from tests.factories import CustomerFactory, LocationFactory, ProductFactory
from tests.orders.test_concurrency import put, run_together, unexpected

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def stale_outcomes() -> list[str]:
    """Stored outcomes that differ from the rows, for orders with no mark
    left: what no later refresh would ever mend."""
    marked = set(OutcomeMark.objects.values_list("order_id", flat=True))
    fresh = dict(outcomes.fresh_order_outcomes())
    kept = {o.order_id: (o.lines, o.units, o.first_units, o.complete, o.backordered, o.counted,
                         o.cancelled) for o in OrderOutcome.objects.all()}
    return [f"order {i}: kept {kept.get(i)}, now {fresh.get(i)}"
            for i in sorted(set(kept) | set(fresh))
            if i not in marked and kept.get(i) != fresh.get(i)]


def test_refreshes_racing_orders_shipments_and_cancellations_miss_nothing():
    pick = LocationFactory(code="P-01", kind="pick", pick_sequence=1)
    product = ProductFactory(sku="OUT-1", list_price="2.00")
    short = ProductFactory(sku="OUT-2", list_price="3.00")  # never in stock
    put(product, 100, pick)
    customer = CustomerFactory(code="OC-1").code
    for _ in range(3):
        shipping = []
        for _ in range(3):
            placed = place_order(customer=customer, lines=[LineInput(product.sku, 2)])
            shipping.append(fulfil_order(number=placed.order.number).number)
        cancelling = [place_order(customer=customer, lines=[LineInput(product.sku, 1)])
                      .order.number for _ in range(2)]
        outcomes.refresh()
        jobs = [lambda n=n: dispatch_fulfillment(number=n) for n in shipping]
        jobs += [lambda n=n: cancel_order(number=n) for n in cancelling]
        jobs += [lambda: place_order(customer=customer, lines=[LineInput(short.sku, 4)])
                 for _ in range(2)]  # backordered whole: counted at once
        jobs += [outcomes.refresh] * 4

        _, errors = run_together(jobs)

        assert not unexpected(errors)
        assert stale_outcomes() == []
    outcomes.refresh()
    assert not OutcomeMark.objects.exists()
    assert OrderOutcome.objects.filter(counted=1, complete=1).count() == 9  # the shipped ones
    assert all_problems() == []


def test_one_customers_backorders_for_one_product_at_once_count_one_customer():
    """The per-product count of customers waiting (`ProductBacklog.customers`)
    came out 2 for one customer when two of their backorders for the product
    opened at once: each statement read the pair's count before the other
    committed. It now counts from what the pair's upsert leaves."""
    from fillrate.backorders.models import ProductBacklog
    from fillrate.backorders.totals import totals_problems

    short = ProductFactory(sku="OUT-3", list_price="3.00")
    customer = CustomerFactory(code="OC-2").code
    other = CustomerFactory(code="OC-3").code
    jobs = [lambda c=c: place_order(customer=c, lines=[LineInput(short.sku, 2)])
            for c in [customer] * 4 + [other] * 2]

    _, errors = run_together(jobs)

    assert not unexpected(errors)
    assert ProductBacklog.objects.get(product_id=short.id).customers == 2
    assert totals_problems() == []

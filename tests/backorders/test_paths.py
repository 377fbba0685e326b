"""The set-based path (PostgreSQL) and the portable path of feeding and
promising give the same results: both run on the same PostgreSQL database,
each inside a savepoint that is rolled back, and their effects compared.
(On SQLite only the portable path runs; these are PostgreSQL tests.)"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction

from fillrate.backorders.feeding import feed_backorders, path, portable_path, repromise
from fillrate.backorders.models import Backorder, BackorderLine, Promise
from fillrate.core.business import change_settings
from fillrate.core.models import Event
from fillrate.inventory.locks import lock_stock_levels
from fillrate.inventory.models import StockLevel
from fillrate.inventory.services import adjust_stock
from fillrate.orders.models import Allocation
from fillrate.purchasing.models import Supplier
from fillrate.workflows.purchase_orders import PurchaseLineInput, create_purchase_order
from tests.factories import CustomerFactory, LocationFactory, ProductFactory
from tests.orders.support import place

pytestmark = pytest.mark.postgres


@pytest.fixture(autouse=True)
def invariants_hold_after_each_test():
    """Each test leaves stock free while lines wait on purpose (it compares
    two feeds of that state, both rolled back): no invariant check here."""
    yield


def effects() -> dict:
    """Everything feeding and promising write, in a comparable form."""
    events = sorted(
        (e.type, e.subject, e.payload.get("cause"), e.payload.get("status"),
         tuple(sorted((x["sku"], x["quantity"]) for x in e.payload.get("lines", []))),
         str(e.payload.get("new")))
        for e in Event.objects.filter(type__in=("BackorderAllocated",
                                                "BackorderExpectedDateChanged")))
    return {
        "allocations": sorted(Allocation.objects.values_list("order_line_id", "stock_level_id",
                                                             "quantity")),
        "levels": sorted(StockLevel.objects.values_list("id", "on_hand", "allocated")),
        "lines": sorted(BackorderLine.objects.values_list("id", "allocated", "promised_date")),
        "backorders": sorted(Backorder.objects.values_list("id", "status", "expected_date")),
        "promises": sorted(Promise.objects.values_list("backorder_line_id",
                                                       "purchase_order_line_id", "quantity",
                                                       "expected_date")),
        "events": events,
    }


def both_paths(change) -> tuple[dict, dict]:
    """Run `change` on the set-based path, then (from the same start) on the
    portable one; return the effects of each."""
    results = []
    for portable in (False, True):
        sid = transaction.savepoint()
        if portable:
            with portable_path():
                assert path().name == "portable"
                change()
        else:
            assert path().name == "set_based"
            change()
        results.append(effects())
        transaction.savepoint_rollback(sid)
    return results[0], results[1]


@pytest.fixture
def waiting(db):
    """Three products, each with backorders of plain, VIP and high-priority
    customers in a known order, stock spread over three locations, and two
    purchase orders promising part of the rest."""
    locations = [LocationFactory(code=c, kind=k, pick_sequence=s)
                 for c, k, s in (("P-2", "pick", 20), ("P-1", "pick", 10), ("B-1", "bulk", 90))]
    plain, vip = CustomerFactory(code="PLAIN"), CustomerFactory(code="VIP", vip=True)
    products = [ProductFactory(sku=f"P{i}") for i in range(3)]
    supplier = Supplier.objects.create(code="SUP", name="Supplier")
    placed = []
    for n in range(12):
        customer = vip if n % 3 == 1 else plain
        lines = [(p.sku, 1 + (n + i) % 4) for i, p in enumerate(products) if (n + i) % 5]
        placed.append(place(customer.code, *lines))
    for n, p in enumerate(placed):
        if n % 4 == 2:
            Backorder.objects.filter(id=p.backorders[0].id).update(priority="high")
    with transaction.atomic():
        for i, product in enumerate(products):
            create_purchase_order(supplier=supplier.code,
                                  expected_date=dt.date(2027, 1, 10 + i),
                                  lines=[PurchaseLineInput(product.sku, 3 + i)])
    for product in products:
        for loc, qty in zip(locations, (2, 3, 4), strict=True):
            adjust_stock(product_id=product.id, location_id=loc.id, quantity=qty,
                         reason="found")
    return products


@pytest.mark.parametrize("policy", ["fifo", "priority"])
def test_feeding_gives_the_same_lines_the_same_stock_on_both_paths(waiting, policy):
    change_settings(changes={"allocation_policy": policy})
    ids = [p.id for p in waiting]

    def feed():
        lock_stock_levels(product_ids=ids)
        feed_backorders(product_ids=ids, cause="test")

    set_based, portable = both_paths(feed)
    assert set_based["allocations"], "the scenario feeds nothing"
    assert set_based == portable


def test_a_feed_that_passes_backorders_over_is_the_same_on_both_paths(waiting):
    ids = [p.id for p in waiting]
    first_two = list(Backorder.objects.order_by("id").values_list("id", flat=True)[:2])

    def feed():
        lock_stock_levels(product_ids=ids)
        fed = feed_backorders(product_ids=ids, cause="test", passed_over=first_two)
        assert fed
        assert not BackorderLine.objects.filter(backorder_id__in=first_two, allocated__gt=0)

    set_based, portable = both_paths(feed)
    assert set_based == portable


@pytest.mark.parametrize("policy", ["fifo", "priority"])
def test_promises_are_rebuilt_the_same_on_both_paths(waiting, policy):
    ids = [p.id for p in waiting]
    Promise.objects.all().delete()
    BackorderLine.objects.update(promised_date=None)

    def rebuild():
        change_settings(changes={"allocation_policy": policy})
        lock_stock_levels(product_ids=ids)
        repromise(product_ids=ids, cause="test")

    set_based, portable = both_paths(rebuild)
    assert set_based["promises"], "the scenario promises nothing"
    assert set_based == portable

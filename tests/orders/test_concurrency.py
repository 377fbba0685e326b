"""Real threads against PostgreSQL: row locks keep two orders from getting the
same unit, and the global lock order keeps mixed operations from deadlocking.
Skipped on SQLite (see tests/conftest.py)."""

from __future__ import annotations

import random
import threading
from collections import Counter

import pytest
from django.db import connection
from django.db.models import Sum

from fillrate.backorders.models import Backorder, BackorderLine
from fillrate.backorders.services import CancelLine, cancel_backorder
from fillrate.core.business import change_settings
from fillrate.core.errors import DomainError
from fillrate.core.models import Event
from fillrate.inventory.models import StockLevel
from fillrate.inventory.services import adjust_stock
from fillrate.orders.models import OrderLine, SalesOrder
from fillrate.orders.services import LineInput
from fillrate.workflows.cancel_order import cancel_order
from fillrate.workflows.invariants import all_problems
from fillrate.workflows.oversold import resolve_oversold
from fillrate.workflows.place_order import place_order
from fillrate.workflows.split_order import SplitLine, backorder_order_lines
from tests.factories import CustomerFactory, LocationFactory, ProductFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def run_together(jobs, *, timeout=90.0):
    """Run each callable in its own thread, released at once by a barrier.
    Returns (results, errors) in job order; each thread closes its own
    database connection."""
    barrier = threading.Barrier(len(jobs))
    results: list[object] = [None] * len(jobs)
    errors: list[BaseException | None] = [None] * len(jobs)

    def work(i, job):
        try:
            barrier.wait(timeout=timeout)
            results[i] = job()
        except BaseException as e:  # noqa: BLE001 - reported to the test thread
            errors[i] = e
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(i, job), daemon=True)
               for i, job in enumerate(jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout)
    assert not any(t.is_alive() for t in threads), "a thread is stuck (lock wait?)"
    return results, errors


def unexpected(errors, allowed=()):
    """Errors other than the domain errors a job may legitimately raise."""
    return [e for e in errors if e is not None
            and not (isinstance(e, DomainError) and e.code in allowed)]


@pytest.fixture
def world(db):
    pick = LocationFactory(code="P-01", kind="pick", pick_sequence=1)
    bulk = LocationFactory(code="B-01", kind="bulk", pick_sequence=50)
    customers = [CustomerFactory(code=f"CC-{i:02d}").code for i in range(4)]
    return pick, bulk, customers


def put(product, quantity, location):
    adjust_stock(product_id=product.id, location_id=location.id, quantity=quantity,
                 reason="count")


def level_totals(product) -> tuple[int, int]:
    agg = StockLevel.objects.filter(product=product).aggregate(h=Sum("on_hand"),
                                                              a=Sum("allocated"))
    return agg["h"] or 0, agg["a"] or 0


def test_32_orders_race_for_100_units(world):
    pick, _, customers = world
    hot = ProductFactory(sku="HOT")
    put(hot, 100, pick)

    def order(i):
        return place_order(customer=customers[i % 4], lines=[LineInput("HOT", 5)])

    results, errors = run_together([lambda i=i: order(i) for i in range(32)])
    assert unexpected(errors) == []
    assert level_totals(hot) == (100, 100)
    lines = list(OrderLine.objects.filter(product=hot))
    assert len(lines) == 32 and SalesOrder.objects.count() == 32
    assert sum(x.allocated for x in lines) == 100
    assert sum(x.backordered for x in lines) == 60
    # every order is accounted for, each wholly filled or wholly backordered
    assert Counter((x.allocated, x.backordered) for x in lines) == {(5, 0): 20, (0, 5): 12}
    assert Backorder.objects.count() == 12
    assert Event.objects.filter(type="OrderPlaced").count() == 32
    assert Event.objects.filter(type="BackorderOpened").count() == 12
    assert sorted(r.order.number for r in results) == sorted(
        o.number for o in SalesOrder.objects.all())
    assert not StockLevel.objects.filter(allocated__gt=100).exists()
    assert all_problems() == []


def test_multi_line_orders_in_random_line_order_do_not_deadlock(world):
    pick, bulk, customers = world
    products = [ProductFactory(sku=f"MX-{i}") for i in range(4)]
    for p in products:
        put(p, 20, pick)
        put(p, 10, bulk)
    rng = random.Random(20240611)
    orders = []
    for _ in range(16):
        skus = [p.sku for p in products]
        rng.shuffle(skus)
        orders.append([LineInput(s, rng.randint(1, 4)) for s in skus])
    demand = Counter()
    for lines in orders:
        for x in lines:
            demand[x.sku] += x.quantity

    results, errors = run_together([
        lambda i=i, lines=lines: place_order(customer=customers[i % 4], lines=lines)
        for i, lines in enumerate(orders)])
    assert unexpected(errors) == []
    for p in products:
        lines = OrderLine.objects.filter(product=p)
        agg = lines.aggregate(a=Sum("allocated"), b=Sum("backordered"), q=Sum("quantity"))
        assert agg["q"] == demand[p.sku]
        assert agg["a"] == min(30, demand[p.sku]) == level_totals(p)[1]
        assert agg["a"] + agg["b"] == demand[p.sku]
    assert SalesOrder.objects.count() == 16
    assert all_problems() == []


def test_cancels_and_new_orders_for_one_sku_at_once(world):
    pick, _, customers = world
    sku = ProductFactory(sku="CX")
    put(sku, 30, pick)
    old = [place_order(customer=customers[i % 4], lines=[LineInput("CX", 5)]).order.number
           for i in range(10)]  # 6 filled, 4 backordered
    jobs = [lambda n=n: cancel_order(number=n) for n in old]
    jobs += [lambda i=i: place_order(customer=customers[i % 4], lines=[LineInput("CX", 5)])
             for i in range(10)]
    random.Random(7).shuffle(jobs)
    _, errors = run_together(jobs)
    assert unexpected(errors) == []
    assert set(SalesOrder.objects.filter(id__in=[int(n[3:]) for n in old])
               .values_list("status", flat=True)) == {"cancelled"}
    new_lines = OrderLine.objects.filter(product=sku).exclude(order__status="cancelled")
    assert new_lines.count() == 10
    assert all(x.allocated + x.backordered == 5 for x in new_lines)
    on_hand, allocated = level_totals(sku)
    assert on_hand == 30
    # what the new orders hold: their own units and what their backorders got
    held = BackorderLine.objects.filter(order_line__in=new_lines).aggregate(
        n=Sum("allocated"))["n"] or 0
    assert allocated == sum(x.allocated for x in new_lines) + held <= 30
    assert not Backorder.objects.filter(order__status="cancelled").exclude(
        status="cancelled").exists()
    assert all_problems() == []


def test_mixed_changes_to_the_same_orders_serialise(world):
    """Cancels, splits, backorder cancels, oversold decisions and stock
    adjustments on a handful of orders at once: each either happens whole or
    fails with a domain error; none deadlocks or leaves a unit uncounted."""
    pick, bulk, customers = world
    products = [ProductFactory(sku=f"MO-{i}") for i in range(3)]
    for p in products:
        put(p, 12, pick)
        put(p, 4, bulk)
    change_settings(changes={"oversell_policy": "backorder"})
    placed = [place_order(customer=customers[i % 4], lines=[
        LineInput(p.sku, 4 + i) for p in products]) for i in range(4)]
    change_settings(changes={"oversell_policy": "hold"})
    held = [place_order(customer=customers[i % 4], lines=[
        LineInput(p.sku, 3) for p in reversed(products)]) for i in range(2)]
    backorders = [b.number for p in placed for b in p.backorders]
    assert backorders and all(h.order.status == "on_hold" for h in held)

    rng = random.Random(99)
    jobs = []
    for p in placed:
        jobs.append(lambda n=p.order.number: cancel_order(number=n))
        for line in p.lines:
            jobs.append(lambda n=p.order.number, x=line.id:
                        backorder_order_lines(number=n, lines=[SplitLine(x, 1)]))
    for number in backorders:
        jobs.append(lambda n=number: cancel_backorder(
            number=n, reason="customer_requested", lines=[CancelLine("MO-0", 1)]))
        jobs.append(lambda n=number: cancel_backorder(number=n, reason="excessive_delay"))
    for h in held:
        jobs.append(lambda n=h.order.number: resolve_oversold(number=n, action="backorder"))
        jobs.append(lambda n=h.order.number: cancel_order(number=n))
    for p in products:
        jobs.append(lambda p=p: adjust_stock(product_id=p.id, location_id=bulk.id,
                                             quantity=3, reason="found"))
    rng.shuffle(jobs)
    _, errors = run_together(jobs)
    allowed = {"orders.invalid_transition", "orders.closed", "orders.quantity_exceeds_line",
               "orders.not_oversold", "backorders.invalid_transition",
               "backorders.invalid_quantity", "backorders.unknown_line"}
    assert unexpected(errors, allowed) == []
    assert sum(e is None for e in errors) > len(products)  # more than the adjustments ran
    for p in products:
        assert level_totals(p)[0] == 19
    assert all_problems() == []

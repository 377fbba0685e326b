"""Feeding backorders with real threads on PostgreSQL, beside new orders and
cancellations for the same SKUs: no unit is allocated twice, nothing
deadlocks, and invariants 1-3 hold after. Skipped on SQLite."""

from __future__ import annotations

import random

import pytest
from django.db.models import Sum

from fillrate.backorders.models import Backorder, BackorderLine
from fillrate.inventory.models import StockLevel
from fillrate.orders.models import Allocation, SalesOrder
from fillrate.orders.services import LineInput
from fillrate.workflows.adjust_stock import adjust_stock_and_feed
from fillrate.workflows.cancel_backorder import cancel_backorder_and_feed
from fillrate.workflows.cancel_order import cancel_order
from fillrate.workflows.invariants import all_problems
from fillrate.workflows.place_order import place_order
from tests.factories import CustomerFactory, LocationFactory, ProductFactory
from tests.orders.test_concurrency import run_together, unexpected

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_feeds_orders_and_cancels_racing_never_allocate_a_unit_twice():
    pick = LocationFactory(code="P-01", kind="pick", pick_sequence=1)
    bulk = LocationFactory(code="B-01", kind="bulk", pick_sequence=50)
    customers = [CustomerFactory(code=f"CF-{i:02d}", vip=i % 2 == 0).code for i in range(4)]
    products = [ProductFactory(sku=f"FEED-{i}") for i in range(3)]
    rng = random.Random(5)
    placed = []
    for i in range(24):  # everything backordered: no stock yet
        lines = [LineInput(p.sku, rng.randint(1, 4)) for p in rng.sample(products, 2)]
        placed.append(place_order(customer=customers[i % 4], lines=lines))
    numbers = [b.number for p in placed for b in p.backorders]

    jobs = []
    for i in range(6):
        product = products[i % 3]
        location = pick if i % 2 else bulk
        jobs.append(lambda p=product, loc=location: adjust_stock_and_feed(
            product_id=p.id, location_id=loc.id, quantity=7, reason="found"))
    for i in range(4):
        lines = [LineInput(p.sku, 2) for p in products]
        jobs.append(lambda c=customers[i], ls=lines: place_order(customer=c, lines=ls))
    for p in placed[:4]:
        jobs.append(lambda n=p.order.number: cancel_order(number=n))
    for number in numbers[5:9]:
        jobs.append(lambda n=number: cancel_backorder_and_feed(
            number=n, reason="excessive_delay"))
    rng.shuffle(jobs)
    _, errors = run_together(jobs)
    assert unexpected(errors) == []

    assert all_problems() == []
    for level in StockLevel.objects.all():
        held = Allocation.objects.filter(stock_level=level).aggregate(n=Sum("quantity"))["n"]
        assert 0 <= level.allocated == (held or 0) <= level.on_hand
    for p in products:
        on_hand = sum(StockLevel.objects.filter(product=p).values_list("on_hand", flat=True))
        assert on_hand == 14
    # Backorders that got everything are ready; the cancelled stay cancelled.
    for backorder in Backorder.objects.exclude(status="cancelled"):
        waiting = sum(x.waiting for x in BackorderLine.objects.filter(backorder=backorder))
        assert (backorder.status == "ready") == (waiting == 0)
    cancelled = [p.order.id for p in placed[:4]]
    assert set(SalesOrder.objects.filter(id__in=cancelled).values_list("status", flat=True)) == {
        "cancelled"}

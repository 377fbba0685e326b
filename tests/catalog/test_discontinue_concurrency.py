"""Discontinuing with cancel while stock arrives for the same product and
another product of the same backorders, with real threads on PostgreSQL:
nothing deadlocks, every unit of the discontinued product that waited is
cancelled, its stock ends free, and invariants 1-3 hold. Skipped on SQLite."""

from __future__ import annotations

import pytest

from fillrate.backorders.models import BackorderLine
from fillrate.catalog.models import Product
from fillrate.orders.services import LineInput
from fillrate.workflows.adjust_stock import adjust_stock_and_feed
from fillrate.workflows.discontinue import discontinue_product
from fillrate.workflows.invariants import all_problems
from fillrate.workflows.place_order import place_order
from tests.factories import CustomerFactory, LocationFactory, ProductFactory
from tests.orders.support import totals
from tests.orders.test_concurrency import run_together, unexpected

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_discontinue_racing_stock_arrivals():
    pick = LocationFactory(code="P-01", kind="pick", pick_sequence=1)
    mug, tea = ProductFactory(sku="MUG-1"), ProductFactory(sku="TEA-1")
    for i in range(12):
        CustomerFactory(code=f"CD-{i:02d}")
        place_order(customer=f"CD-{i:02d}", lines=[LineInput("MUG-1", 2), LineInput("TEA-1", 1)])
    jobs = [lambda p=p: adjust_stock_and_feed(product_id=p.id, location_id=pick.id,
                                              quantity=5, reason="found")
            for p in (mug, tea, mug, tea)]
    jobs.insert(2, lambda: discontinue_product(sku="MUG-1", cancel_backorders=True))
    _, errors = run_together(jobs)
    assert unexpected(errors) == []

    assert Product.objects.get(sku="MUG-1").discontinued
    mugs = BackorderLine.objects.filter(product=mug)
    assert all(x.cancelled + x.fulfilled == x.quantity for x in mugs)
    assert totals("MUG-1") == (10, 0)  # whatever came in before is free again
    assert sum(x.allocated for x in BackorderLine.objects.filter(product=tea)) == 10
    assert all_problems() == []

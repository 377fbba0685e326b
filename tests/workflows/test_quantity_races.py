"""Lost-stock adjustments, splits, receipts and new orders on one product,
with real threads on PostgreSQL: invariants 1-3 hold after, the promises
and dates are exactly what a fresh plan gives (`all_problems` checks both),
and the ledger adds up to what was received minus what was lost."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from django.db import transaction
from django.db.models import Sum

from fillrate.backorders.models import Backorder
from fillrate.inventory.models import StockLevel, StockMovement
from fillrate.orders.models import OrderLine
from fillrate.orders.services import LineInput
from fillrate.purchasing.models import Supplier
from fillrate.workflows.adjust_stock import adjust_stock_and_feed
from fillrate.workflows.invariants import all_problems
from fillrate.workflows.place_order import place_order
from fillrate.workflows.purchase_orders import PurchaseLineInput, create_purchase_order
from fillrate.workflows.receive import ReceiptLineInput, receive_purchase_order
from fillrate.workflows.split_order import SplitLine, backorder_order_lines
from tests.factories import CustomerFactory, LocationFactory, ProductFactory
from tests.orders.test_concurrency import run_together, unexpected

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

# What a job may refuse under a race: too little left to lose or to split.
ALLOWED = ("inventory.insufficient_stock", "orders.quantity_exceeds_line",
           "orders.units_on_fulfillment", "purchasing.over_receipt",
           "purchasing.not_receivable")


def test_losses_splits_receipts_and_orders_on_one_product_keep_every_invariant():
    pick = LocationFactory(code="P-01", kind="pick", pick_sequence=1)
    LocationFactory(code="RECV", kind="receiving", pick_sequence=90)
    customers = [CustomerFactory(code=f"CR-{i}", vip=i == 0).code for i in range(4)]
    kettle = ProductFactory(sku="KETTLE")
    Supplier.objects.create(code="SUP", name="Supplier")
    adjust_stock_and_feed(product_id=kettle.id, location_id=pick.id, quantity=12,
                          reason="count")
    rng = random.Random(12)
    placed = [place_order(customer=customers[i % 4], lines=[LineInput("KETTLE",
                                                                       rng.randint(1, 4))])
              for i in range(10)]  # about half of them short: backorders wait
    with transaction.atomic():
        purchase_orders = [create_purchase_order(
            supplier="SUP", expected_date=dt.date(2027, 2, 1 + i),
            lines=[PurchaseLineInput("KETTLE", 6)]).number for i in range(3)]

    jobs = []
    for _ in range(5):
        jobs.append(lambda: adjust_stock_and_feed(product_id=kettle.id, location_id=pick.id,
                                                  quantity=-1, reason="lost"))
    for p in placed[:5]:
        line = p.lines[0]
        jobs.append(lambda n=p.order.number, lid=line.id: backorder_order_lines(
            number=n, lines=[SplitLine(lid, 1)]))
    for number in purchase_orders[:2]:
        jobs.append(lambda n=number: receive_purchase_order(
            number=n, lines=[ReceiptLineInput("KETTLE", 6)]))
    for i in range(4):
        jobs.append(lambda c=customers[i]: place_order(customer=c,
                                                       lines=[LineInput("KETTLE", 2)]))
    rng.shuffle(jobs)
    _, errors = run_together(jobs)
    assert unexpected(errors, allowed=ALLOWED) == []

    assert all_problems() == []
    moved = StockMovement.objects.filter(product=kettle).aggregate(n=Sum("quantity"))["n"]
    on_hand = StockLevel.objects.filter(product=kettle).aggregate(n=Sum("on_hand"))["n"]
    lost = StockMovement.objects.filter(product=kettle, reason="lost").count()
    assert moved == on_hand == 12 + 12 - lost
    assert lost == 5  # 12 on hand before any receipt: every loss could be taken
    assert Backorder.objects.filter(split_by_hand=True).exists()
    ordered = OrderLine.objects.filter(product=kettle).aggregate(n=Sum("quantity"))["n"]
    assert ordered == sum(p.lines[0].quantity for p in placed) + 8

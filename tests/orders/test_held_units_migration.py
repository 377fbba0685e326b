"""The data migration that moved units a backorder holds from the order
line's `allocated` to its `backordered` (backorders 0006), run on an order
put back into the shape the old rule gave it."""

from __future__ import annotations

import importlib

from django.apps import apps

from fillrate.orders.models import OrderLine, SalesOrder
from fillrate.workflows.invariants import all_problems
from tests.orders.support import allocate_to_backorder, buckets, place

migration = importlib.import_module(
    "fillrate.backorders.migrations.0006_order_lines_count_held_units")


def test_held_units_move_to_backordered_and_the_order_status_follows(store, stock):
    placed = place("C-ACME", ("BOLT", 6))  # no BOLT: all on a backorder
    stock(store.bolt, 6)
    allocate_to_backorder(placed.backorders[0].number, "BOLT", 6)
    (line,) = placed.lines
    assert buckets(line) == (0, 6, 0, 0, 0)
    # What the old rule stored: held units counted as the line's allocated,
    # so the order had something to ship and was open.
    OrderLine.objects.filter(id=line.id).update(allocated=6, backordered=0)
    SalesOrder.objects.filter(id=line.order_id).update(status="open")

    migration.forward(apps, None)

    assert buckets(line) == (0, 6, 0, 0, 0)
    assert SalesOrder.objects.get(id=line.order_id).status == "awaiting_backorder"
    assert all_problems() == []
    migration.backward(apps, None)
    assert buckets(line) == (6, 0, 0, 0, 0)
    assert SalesOrder.objects.get(id=line.order_id).status == "open"
    migration.forward(apps, None)  # leave it as the new rule has it

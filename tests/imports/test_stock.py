"""Stock files are counts: the counted quantity becomes on-hand stock, each
difference a `counted` movement; stock that goes up feeds waiting backorders."""

from __future__ import annotations

import pytest

from fillrate.backorders.models import Backorder
from fillrate.core.models import Event
from fillrate.inventory.models import StockLevel, StockMovement
from fillrate.inventory.selectors import ledger_mismatches
from fillrate.orders.services import LineInput
from fillrate.workflows.imports import ImportFailed
from fillrate.workflows.invariants import all_problems
from fillrate.workflows.place_order import place_order
from tests.factories import CustomerFactory, LocationFactory, ProductFactory, WarehouseFactory
from tests.helpers import db_state
from tests.imports.conftest import csv_text, do_import, export


def on_hand(sku: str, location: str) -> int:
    level = StockLevel.objects.filter(product__sku=sku, location__code=location).first()
    return level.on_hand if level else 0


def test_counts_set_on_hand_and_write_counted_movements(db, stock, pick_location,
                                                        bulk_location):
    a = stock(ProductFactory(sku="A"), 10)
    ProductFactory(sku="B")
    stock(a, 5, location=bulk_location)
    result = do_import("stock", csv_text(
        "sku,warehouse,location,quantity",
        "A,MAIN,A-01,7",  # down 3
        "A,,B-01,5",  # unchanged
        "B,MAIN,A-01,4",  # a new level, up 4
    ))
    assert (result.rows, result.updated, result.unchanged) == (3, 2, 1)
    assert result.extra == {"units_up": 4, "units_down": 3, "backorder_lines_fed": 0}
    assert (on_hand("A", "A-01"), on_hand("A", "B-01"), on_hand("B", "A-01")) == (7, 5, 4)
    counted = StockMovement.objects.filter(kind="counted", reference="stock import")
    assert sorted(counted.values_list("product__sku", "quantity", "on_hand_after")) == [
        ("A", -3, 7), ("B", 4, 4)]
    assert Event.objects.filter(type="StockCounted").count() == 1
    assert ledger_mismatches() == []
    assert all_problems() == []


def test_a_count_that_raises_stock_feeds_waiting_backorders(db, pick_location):
    product = ProductFactory(sku="WAIT")
    customer = CustomerFactory()
    placed = place_order(customer=customer.code, lines=[LineInput("WAIT", 4)])
    (backorder,) = placed.backorders
    result = do_import("stock", csv_text("sku,location,quantity", "WAIT,A-01,10"))
    assert result.extra["backorder_lines_fed"] == 1
    backorder.refresh_from_db()
    assert backorder.status == "ready"
    level = StockLevel.objects.get(product=product, location=pick_location)
    assert (level.on_hand, level.allocated) == (10, 4)
    assert Event.objects.filter(type="BackorderAllocated", subject=backorder.number).exists()
    assert all_problems() == []


def test_a_count_below_what_is_allocated_is_refused(db, stock, pick_location):
    product = stock(ProductFactory(sku="HELD"), 5)
    place_order(customer=CustomerFactory().code, lines=[LineInput("HELD", 4)])
    before = db_state()
    with pytest.raises(ImportFailed) as failed:
        do_import("stock", csv_text("sku,location,quantity", "HELD,A-01,3"))
    (error,) = failed.value.errors
    assert (error.row, error.column) == (2, "quantity")
    assert "4 are allocated" in error.message
    assert db_state() == before
    assert StockLevel.objects.get(product=product).on_hand == 5


def test_stock_errors_name_row_and_column_and_write_nothing(db, stock, pick_location):
    stock(ProductFactory(sku="A"), 2)
    WarehouseFactory(code="NORTH", name="North")
    LocationFactory(code="A-01", kind="pick", warehouse=WarehouseFactory(code="NORTH"))
    LocationFactory(code="OLD", kind="pick", active=False)
    before = db_state()
    with pytest.raises(ImportFailed) as failed:
        do_import("stock", csv_text(
            "sku,warehouse,location,quantity",
            "NOPE,MAIN,A-01,1",
            "A,,A-01,1",
            "A,MAIN,NOWHERE,1",
            "A,MAIN,A-01,-1",
            "A,MAIN,A-01,3",
            "A,MAIN,A-01,4",
            "A,MAIN,OLD,1",
        ))
    assert [(e.row, e.column) for e in failed.value.errors] == [
        (2, "sku"), (3, "warehouse"), (4, "location"), (5, "quantity"), (7, "location"),
        (8, "location")]
    assert db_state() == before


def test_stock_exports_import_unchanged(db, stock, pick_location, bulk_location):
    stock(ProductFactory(sku="A"), 10)
    stock(ProductFactory(sku="B"), 3, location=bulk_location)
    place_order(customer=CustomerFactory().code, lines=[LineInput("A", 2)])
    before = db_state()
    text = export("stock")
    assert text.splitlines()[:2] == ["sku,warehouse,location,quantity,allocated",
                                     "A,MAIN,A-01,10,2"]
    result = do_import("stock", text)
    assert (result.updated, result.unchanged) == (0, 2)
    state = db_state()
    for s in (state, before):
        s.pop("core.Event")
    assert state == before
    assert export("stock") == text


def test_a_stock_dry_run_writes_nothing(db, stock, pick_location):
    stock(ProductFactory(sku="A"), 10)
    before = db_state()
    result = do_import("stock", csv_text("sku,location,quantity", "A,A-01,12"), dry_run=True)
    assert (result.updated, result.extra["units_up"]) == (1, 2)
    assert db_state() == before
    assert not Backorder.objects.exists()


@pytest.mark.postgres
def test_the_set_based_count_agrees_with_the_portable_one(db, stock, pick_location,
                                                          bulk_location):
    from django.db import transaction

    from fillrate.inventory import counts as count_module
    from fillrate.inventory.counts import Count, CountBelowAllocated

    def world():
        a = stock(ProductFactory(sku="A"), 10)
        b = stock(ProductFactory(sku="B"), 4, location=bulk_location)
        c = ProductFactory(sku="C")
        place_order(customer=CustomerFactory().code, lines=[LineInput("B", 3)])
        return [Count(a.id, pick_location.id, 6, 2), Count(a.id, bulk_location.id, 2, 3),
                Count(b.id, bulk_location.id, 4, 4), Count(c.id, pick_location.id, 9, 5),
                Count(c.id, bulk_location.id, 0, 6)]

    def snapshot():
        return (sorted(StockLevel.objects.values_list("product__sku", "location__code",
                                                      "on_hand", "allocated")),
                sorted(StockMovement.objects.filter(kind="counted").values_list(
                    "product__sku", "location__code", "quantity", "on_hand_after", "reason",
                    "reference")))

    results = {}
    for name, path in (("portable", count_module._count_portable),
                       ("set_based", count_module._count_set_based)):
        sid = transaction.savepoint()
        counts = world()
        movement = {"kind": "counted", "reason": "count", "note": "", "reference": "x",
                    "actor_id": None}
        changed, up, down, raised = path(counts, movement)
        from fillrate.catalog.models import Product

        done = (changed, up, down,
                sorted(Product.objects.filter(id__in=raised).values_list("sku", flat=True)))
        refused = None
        try:
            with transaction.atomic():
                path([Count(counts[2].product_id, bulk_location.id, 1, 7)], movement)
        except CountBelowAllocated as exc:
            refused = exc.refused
        results[name] = (done, snapshot(), refused)
        transaction.savepoint_rollback(sid)
    assert results["portable"] == results["set_based"]
    assert results["portable"][0] == (3, 9 + 2, 4, ["A", "C"])

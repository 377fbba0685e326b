"""`fillrate check`: stock levels reconciled with the movement ledger."""

from __future__ import annotations

import re

import pytest
from django.db.models import F

from fillrate.cli import main
from fillrate.inventory.models import StockLevel
from fillrate.inventory.selectors import LedgerMismatch, ledger_mismatches


@pytest.fixture
def check(capsys):
    def check() -> tuple[int, str]:
        code = main(["check"])
        return code, capsys.readouterr().out

    return check


def test_an_empty_database_is_consistent(check, db):
    code, out = check()
    assert code == 0 and out.startswith("ok: ") and len(out.splitlines()) == 1


def test_stock_put_in_through_the_ledger_is_consistent(check, stock, bulk_location):
    product = stock(quantity=5)
    stock(product, quantity=7, location=bulk_location)
    stock(quantity=3)
    assert ledger_mismatches() == []
    code, out = check()
    assert code == 0 and out.startswith("ok")


def test_a_level_changed_behind_the_ledger_s_back_is_reported(check, stock, pick_location):
    product = stock(quantity=5, sku="CORRUPT-1")
    stock(quantity=4)  # a healthy neighbour is not reported
    StockLevel.objects.filter(product=product).update(on_hand=F("on_hand") + 3)

    assert ledger_mismatches() == [LedgerMismatch("CORRUPT-1", "A-01", 8, 5)]
    code, out = check()
    assert code == 1
    problem, summary = out.splitlines()
    assert re.fullmatch(r"ledger: CORRUPT-1 at A-01: on hand 8, movements( sum to)? 5", problem)
    assert summary == "1 problem(s) found"


def test_a_missing_level_is_reported(check, stock, pick_location, bulk_location):
    product = stock(quantity=5, sku="LOST-LEVEL")
    stock(product, quantity=2, location=bulk_location)
    StockLevel.objects.filter(product=product, location=bulk_location).delete()
    assert ledger_mismatches() == [LedgerMismatch("LOST-LEVEL", "B-01", 0, 2)]
    code, out = check()
    assert code == 1
    assert re.search(r"LOST-LEVEL at B-01: on hand 0, movements( sum to)? 2\n", out)


def test_every_mismatch_is_counted(check, stock):
    for sku in ("M-1", "M-2"):
        product = stock(quantity=3, sku=sku)
        StockLevel.objects.filter(product=product).update(on_hand=0)
    code, out = check()
    assert code == 1 and out.endswith("2 problem(s) found\n")


def test_allocated_stock_that_no_order_holds_is_reported(check, stock, pick_location):
    product = stock(quantity=5)
    level = StockLevel.objects.get(product=product)
    StockLevel.objects.filter(id=level.id).update(allocated=2)
    assert ledger_mismatches() == []  # the ledger is fine; the allocation is not
    code, out = check()
    assert code == 1 and f"stock level {level.id}" in out


def test_an_allocation_row_of_a_line_that_does_not_exist_is_reported(check, stock):
    """Allocation rows carry no database foreign keys (see the model): the
    check is what finds one that points nowhere."""
    from fillrate.orders.models import Allocation

    level = StockLevel.objects.get(product=stock(quantity=5, sku="HELD"))
    StockLevel.objects.filter(id=level.id).update(allocated=2)
    orphan = Allocation.objects.create(order_line_id=987654, stock_level_id=level.id,
                                       quantity=2)
    code, out = check()
    assert code == 1
    assert (f"allocation {orphan.id}: order line 987654 or stock level {level.id} does not "
            f"exist") in out

"""Real threads against PostgreSQL on the warehouse floor: pickers grabbing
the same queue, and scans racing a supervisor's decision and new orders on
the same product. Afterwards the invariants and `fillrate check` hold.
Skipped on SQLite."""

from __future__ import annotations

from functools import partial

import pytest
from django.db.models import Sum

from fillrate.cli import main
from fillrate.core.errors import DomainError
from fillrate.inventory.models import StockLevel
from fillrate.orders.services import LineInput
from fillrate.picking.models import Pick, PickRunFulfillment
from fillrate.picking.services import create_pick_run, mark_missing, record_pick
from fillrate.picking.totes import create_tote
from fillrate.workflows.fulfil import fulfil_order
from fillrate.workflows.invariants import all_problems
from fillrate.workflows.place_order import place_order
from fillrate.workflows.resolve_issue import resolve_issue
from tests.factories import CustomerFactory, LocationFactory, ProductFactory
from tests.orders.test_concurrency import run_together, unexpected

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def shelf(db):
    from fillrate.inventory.services import adjust_stock

    location = LocationFactory(code="A-01", kind="pick", pick_sequence=10)
    LocationFactory(code="B-01", kind="bulk", pick_sequence=100)
    product = ProductFactory(sku="RACE")
    adjust_stock(product_id=product.id, location_id=location.id, quantity=40, reason="count")
    CustomerFactory(code="C-RACE")
    return product


def queued(n: int, quantity: int = 2) -> list[str]:
    return [fulfil_order(number=place_order(
        customer="C-RACE", lines=[LineInput("RACE", quantity)]).order.number).number
        for _ in range(n)]


def check_passes(capsys) -> None:
    assert all_problems() == []
    assert main(["check"]) == 0
    assert "ok:" in capsys.readouterr().out


def test_pickers_grabbing_the_same_queue_never_share_a_fulfillment(shelf, capsys):
    numbers = queued(7)
    jobs = [partial(create_pick_run, max_fulfillments=3) for _ in range(4)]
    jobs += [partial(create_pick_run, fulfillments=[numbers[0]]) for _ in range(2)]
    results, errors = run_together(jobs)
    assert unexpected(errors, allowed=("picking.queue_empty", "picking.in_another_run")) == []
    members = list(PickRunFulfillment.objects.values_list("fulfillment_id", flat=True))
    assert len(members) == len(set(members)) == 7  # every one in exactly one run
    named = [e for e in errors[4:] if e is not None]
    assert len(named) >= 1 and all(e.code == "picking.in_another_run" for e in named)
    check_passes(capsys)


def test_picks_racing_a_resolution_and_new_orders_keep_every_unit(shelf, capsys):
    numbers = queued(5)
    for i in range(5):
        create_tote(code=f"T{i}")
    run = create_pick_run(fulfillments=numbers[:4]).number
    issue = mark_missing(fulfillment=numbers[4], sku="RACE", quantity=2,
                         location="A-01").number
    jobs = [partial(record_pick, run=run, fulfillment=f, sku="RACE", location="A-01",
                    quantity=2, tote=f"T{i}") for i, f in enumerate(numbers[:4])]
    jobs.append(partial(resolve_issue, number=issue, action="split"))
    jobs += [partial(place_order, customer="C-RACE", lines=[LineInput("RACE", 3)])
             for _ in range(3)]
    results, errors = run_together(jobs)
    assert unexpected(errors) == [], errors
    assert Pick.objects.aggregate(n=Sum("quantity"))["n"] == 8
    on_hand = StockLevel.objects.aggregate(n=Sum("on_hand"))["n"]
    assert on_hand == 40 - 2  # the 2 confirmed missing left the ledger
    totes = StockLevel.objects.filter(location__kind="tote").aggregate(
        a=Sum("on_hand"), b=Sum("allocated"))
    assert totes == {"a": 8, "b": 8}
    check_passes(capsys)


def test_a_found_racing_picks_of_the_same_shelf(shelf, capsys):
    numbers = queued(4)
    for i in range(4):
        create_tote(code=f"T{i}")
    run = create_pick_run(fulfillments=numbers[:3]).number
    issue = mark_missing(fulfillment=numbers[3], sku="RACE", quantity=2,
                         location="A-01").number
    jobs = [partial(record_pick, run=run, fulfillment=f, sku="RACE", location="A-01",
                    quantity=1, tote=f"T{i}") for i, f in enumerate(numbers[:3]) for _ in (0, 1)]
    jobs.append(partial(resolve_issue, number=issue, action="found", location="B-01"))
    results, errors = run_together(jobs)
    assert [e for e in errors if e is not None and not isinstance(e, DomainError)] == []
    assert unexpected(errors) == [], errors
    levels = dict(StockLevel.objects.values_list("location__code", "on_hand"))
    assert levels["B-01"] == 2 and levels["A-01"] == 40 - 2 - 6
    check_passes(capsys)

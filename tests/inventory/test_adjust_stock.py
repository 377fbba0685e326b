"""`adjust_stock` and the product stock figures."""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fillrate.accounts.permissions import Role
from fillrate.accounts.services import add_user
from fillrate.core.errors import Conflict, InvalidValue, NotFound
from fillrate.core.models import Event
from fillrate.inventory.models import StockLevel, StockMovement
from fillrate.inventory.selectors import (
    ledger_mismatches,
    product_with_stock,
    products_with_stock,
)
from fillrate.inventory.services import adjust_stock
from fillrate.orders.services import LineInput
from fillrate.workflows.place_order import place_order
from tests.factories import CustomerFactory, LocationFactory, ProductFactory
from tests.helpers import db_state


def level(product, location) -> tuple[int, int]:
    row = StockLevel.objects.get(product=product, location=location)
    return row.on_hand, row.allocated


def set_allocated(product, location, allocated: int) -> None:
    """Hold stock at a location the way an order's allocation does, without an
    order (this is the inventory layer's view of it)."""
    StockLevel.objects.filter(product=product, location=location).update(allocated=allocated)


# -- exact quantities ----------------------------------------------------------

def test_adjustments_change_on_hand_exactly(pick_location):
    product = ProductFactory()
    first = adjust_stock(product_id=product.id, location_id=pick_location.id, quantity=12,
                         reason="count")
    second = adjust_stock(product_id=product.id, location_id=pick_location.id, quantity=-5,
                          reason="damaged", note="dropped a case")
    assert (first.on_hand, second.on_hand, second.allocated) == (12, 7, 0)
    assert (second.sku, second.location, second.quantity) == (product.sku, "A-01", -5)
    assert level(product, pick_location) == (7, 0)

    movements = list(StockMovement.objects.filter(product=product).order_by("id"))
    assert [(m.quantity, m.on_hand_after, m.kind, m.reason) for m in movements] == [
        (12, 12, "counted", "count"), (-5, 7, "adjusted", "damaged")]
    assert movements[1].note == "dropped a case"
    assert second.movement_id == movements[1].id


def test_each_adjustment_writes_one_movement_and_one_event(pick_location):
    product = ProductFactory()
    user = add_user(username="wes", role=Role.WAREHOUSE)
    events, movements = Event.objects.count(), StockMovement.objects.count()
    adjust_stock(product_id=product.id, location_id=pick_location.id, quantity=4,
                 reason="found", note="behind the shelf", actor_id=user.id)
    assert StockMovement.objects.count() == movements + 1
    assert Event.objects.count() == events + 1
    event = Event.objects.latest("id")
    assert (event.type, event.subject_type, event.subject, event.actor_id) == (
        "StockAdjusted", "product", product.sku, user.id)
    assert event.payload == {"location": "A-01", "quantity": 4, "reason": "found",
                             "on_hand": 4, "note": "behind the shelf"}
    assert StockMovement.objects.latest("id").actor_id == user.id


def test_the_event_is_in_the_same_transaction_as_the_movement(pick_location, monkeypatch):
    import fillrate.inventory.services as services

    product = ProductFactory()
    adjust_stock(product_id=product.id, location_id=pick_location.id, quantity=3,
                 reason="count")
    before = db_state()

    def failing_event(**kwargs):
        raise RuntimeError("event store down")

    monkeypatch.setattr(services, "record_event", failing_event)
    with pytest.raises(RuntimeError):
        adjust_stock(product_id=product.id, location_id=pick_location.id, quantity=3,
                     reason="found")
    assert db_state() == before


@pytest.mark.parametrize("reason", ["count", "damaged", "found", "lost", "correction",
                                    "returned"])
def test_every_documented_reason_is_accepted(pick_location, reason):
    product = ProductFactory()
    adjust_stock(product_id=product.id, location_id=pick_location.id, quantity=1, reason=reason)
    assert StockMovement.objects.get(product=product).reason == reason


# -- refusals change nothing ---------------------------------------------------

def test_taking_more_than_on_hand_is_refused_and_changes_nothing(stock, pick_location):
    product = stock(quantity=5)
    before = db_state()
    with pytest.raises(Conflict) as exc:
        adjust_stock(product_id=product.id, location_id=pick_location.id, quantity=-6,
                     reason="lost")
    assert (exc.value.code, exc.value.field) == ("inventory.insufficient_stock", "quantity")
    assert db_state() == before
    assert level(product, pick_location) == (5, 0)


def test_taking_everything_is_allowed(stock, pick_location):
    product = stock(quantity=5)
    adjust_stock(product_id=product.id, location_id=pick_location.id, quantity=-5, reason="lost")
    assert level(product, pick_location) == (0, 0)


def test_allocated_stock_cannot_be_adjusted_away(stock, pick_location):
    product = stock(quantity=10)
    set_allocated(product, pick_location, 4)
    before = db_state()
    with pytest.raises(Conflict) as exc:
        adjust_stock(product_id=product.id, location_id=pick_location.id, quantity=-7,
                     reason="damaged")
    assert exc.value.code == "inventory.insufficient_stock"
    assert db_state() == before
    # down to exactly what is allocated is fine
    result = adjust_stock(product_id=product.id, location_id=pick_location.id, quantity=-6,
                          reason="damaged")
    assert (result.on_hand, result.allocated) == (4, 4)


def test_stock_an_order_holds_cannot_be_adjusted_away(stock, pick_location):
    product = stock(quantity=10)
    place_order(customer=CustomerFactory().code, lines=[LineInput(product.sku, 4)])
    assert level(product, pick_location) == (10, 4)
    before = db_state()
    with pytest.raises(Conflict):
        adjust_stock(product_id=product.id, location_id=pick_location.id, quantity=-7,
                     reason="lost")
    assert db_state() == before
    adjust_stock(product_id=product.id, location_id=pick_location.id, quantity=-6, reason="lost")
    assert level(product, pick_location) == (4, 4)
    figures = product_with_stock(product.sku)
    assert (figures.on_hand, figures.allocated, figures.available) == (4, 4, 0)


def test_a_negative_adjustment_where_there_is_no_stock_is_refused(pick_location):
    product = ProductFactory()
    before = db_state()
    with pytest.raises(Conflict):
        adjust_stock(product_id=product.id, location_id=pick_location.id, quantity=-1,
                     reason="lost")
    assert StockMovement.objects.count() == before["inventory.StockMovement"]
    assert Event.objects.count() == before["core.Event"]


@pytest.mark.parametrize(
    ("quantity", "reason", "code", "field"),
    [
        (0, "count", "inventory.invalid_quantity", "quantity"),
        (5, "stolen", "inventory.unknown_reason", "reason"),
        (5, "", "inventory.unknown_reason", "reason"),
        (5, "Count", "inventory.unknown_reason", "reason"),
    ],
)
def test_invalid_values_are_422_kind(stock, pick_location, quantity, reason, code, field):
    product = stock(quantity=5)
    before = db_state()
    with pytest.raises(InvalidValue) as exc:
        adjust_stock(product_id=product.id, location_id=pick_location.id, quantity=quantity,
                     reason=reason)
    assert (exc.value.code, exc.value.field, exc.value.status) == (code, field, 422)
    assert db_state() == before


def test_unknown_product_or_location_is_not_found(pick_location):
    product = ProductFactory()
    with pytest.raises(NotFound) as exc:
        adjust_stock(product_id=product.id + 1000, location_id=pick_location.id, quantity=1,
                     reason="count")
    assert exc.value.code == "catalog.unknown_sku"
    with pytest.raises(NotFound) as exc:
        adjust_stock(product_id=product.id, location_id=pick_location.id + 1000, quantity=1,
                     reason="count")
    assert (exc.value.code, exc.value.field) == ("inventory.unknown_location", "location")
    assert not StockLevel.objects.exists()


# -- default location ----------------------------------------------------------

def test_positive_without_location_goes_to_the_first_pick_location(db):
    later = LocationFactory(code="P-20", kind="pick", pick_sequence=20)
    first = LocationFactory(code="P-10", kind="pick", pick_sequence=10)
    LocationFactory(code="BULK", kind="bulk", pick_sequence=1)
    LocationFactory(code="RECV", kind="receiving", pick_sequence=0)
    product = ProductFactory()
    assert adjust_stock(product_id=product.id, quantity=3, reason="found").location == "P-10"
    assert level(product, first) == (3, 0)
    assert not StockLevel.objects.filter(location=later).exists()


def test_positive_without_location_goes_where_the_product_lives(db, stock):
    LocationFactory(code="P-10", kind="pick", pick_sequence=10)
    home = LocationFactory(code="P-20", kind="pick", pick_sequence=20)
    also = LocationFactory(code="P-30", kind="pick", pick_sequence=30)
    product = stock(quantity=2, location=also)
    stock(product, quantity=2, location=home)
    assert adjust_stock(product_id=product.id, quantity=3, reason="found").location == "P-20"
    assert level(product, home) == (5, 0)


def test_positive_ignores_empty_and_non_pick_homes(db, stock):
    first = LocationFactory(code="P-01", kind="pick", pick_sequence=1)
    emptied = LocationFactory(code="P-20", kind="pick", pick_sequence=20)
    bulk = LocationFactory(code="BULK", kind="bulk", pick_sequence=5)
    product = stock(quantity=2, location=emptied)
    adjust_stock(product_id=product.id, location_id=emptied.id, quantity=-2, reason="lost")
    stock(product, quantity=9, location=bulk)
    assert adjust_stock(product_id=product.id, quantity=1, reason="found").location == "P-01"
    assert level(product, first) == (1, 0)


def test_negative_without_location_takes_from_the_most_free_stock(db, stock, issues_location):
    pick = LocationFactory(code="P-10", kind="pick", pick_sequence=10)
    bulk = LocationFactory(code="BULK", kind="bulk", pick_sequence=100)
    product = stock(quantity=8, location=pick)
    stock(product, quantity=10, location=bulk)
    stock(product, quantity=50, location=issues_location)
    set_allocated(product, bulk, 6)  # bulk: 4 free, pick: 8 free, issues: never
    result = adjust_stock(product_id=product.id, quantity=-3, reason="lost")
    assert result.location == "P-10"
    assert (level(product, pick), level(product, bulk), level(product, issues_location)) == (
        (5, 0), (10, 6), (50, 0))


def test_negative_without_location_never_takes_from_the_issues_wall(db, stock, issues_location):
    LocationFactory(code="P-10", kind="pick", pick_sequence=10)
    product = stock(quantity=5, location=issues_location)
    before = db_state()
    with pytest.raises(Conflict):
        adjust_stock(product_id=product.id, quantity=-1, reason="lost")
    assert db_state() == before


def test_no_pick_location_at_all_is_a_conflict(db, bulk_location):
    product = ProductFactory()
    before = db_state()
    with pytest.raises(Conflict) as exc:
        adjust_stock(product_id=product.id, quantity=1, reason="found")
    assert (exc.value.code, exc.value.field) == ("inventory.no_location", "location")
    assert db_state() == before


# -- ledger property -----------------------------------------------------------

@settings(max_examples=20, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.integers(min_value=-15, max_value=15).filter(bool), max_size=10))
def test_on_hand_is_the_sum_of_accepted_adjustments(pick_location, quantities):
    product = ProductFactory()
    expected = 0
    accepted = 0
    for quantity in quantities:
        try:
            adjust_stock(product_id=product.id, location_id=pick_location.id,
                         quantity=quantity, reason="correction")
        except Conflict:
            assert expected + quantity < 0  # refused only when it would go negative
            continue
        expected += quantity
        accepted += 1
        assert expected >= 0
    figures = product_with_stock(product.sku)
    assert (figures.on_hand, figures.available) == (expected, expected)
    assert StockMovement.objects.filter(product=product).count() == accepted
    assert Event.objects.filter(type="StockAdjusted", subject=product.sku).count() == accepted
    assert not [m for m in ledger_mismatches() if m.sku == product.sku]


# -- product figures -----------------------------------------------------------

def test_product_figures_exclude_the_issues_wall_and_allocated_stock(
        stock, pick_location, bulk_location, issues_location):
    receiving = LocationFactory(code="RECV", kind="receiving", pick_sequence=900)
    product = stock(quantity=10)
    stock(product, quantity=5, location=bulk_location)
    stock(product, quantity=2, location=receiving)
    stock(product, quantity=4, location=issues_location)
    set_allocated(product, pick_location, 3)
    set_allocated(product, issues_location, 1)
    other = stock(quantity=7)

    figures = product_with_stock(product.sku)
    assert (figures.on_hand, figures.allocated, figures.available) == (21, 4, 14)
    by_sku = {p.sku: p for p in products_with_stock()}
    assert (by_sku[other.sku].on_hand, by_sku[other.sku].available) == (7, 7)
    assert by_sku[product.sku].available == 14


def test_a_product_without_stock_has_zero_figures(db):
    product = ProductFactory()
    figures = product_with_stock(product.sku)
    assert (figures.on_hand, figures.allocated, figures.available) == (0, 0, 0)


def test_fully_allocated_stock_is_not_available(stock, pick_location):
    product = stock(quantity=6)
    set_allocated(product, pick_location, 6)
    figures = product_with_stock(product.sku)
    assert (figures.on_hand, figures.allocated, figures.available) == (6, 6, 0)


def test_product_with_stock_of_an_unknown_sku(db):
    with pytest.raises(NotFound) as exc:
        product_with_stock("NOPE", field="lines[0].sku")
    assert (exc.value.code, exc.value.field) == ("catalog.unknown_sku", "lines[0].sku")


def test_the_api_shows_the_same_figures_per_location(api, stock, pick_location,
                                                     issues_location):
    product = stock(quantity=10)
    stock(product, quantity=4, location=issues_location)
    set_allocated(product, pick_location, 3)
    detail = api.get(f"/api/v1/products/{product.sku}").json()
    assert (detail["on_hand"], detail["allocated"], detail["available"]) == (14, 3, 7)
    assert sorted((row["location"], row["on_hand"], row["allocated"], row["available"])
                  for row in detail["locations"]) == [("A-01", 10, 3, 7), ("ISSUES", 4, 0, 0)]
    listed = api.get("/api/v1/products").json()["items"]
    assert [(p["sku"], p["available"]) for p in listed] == [(product.sku, 7)]


def test_the_api_adjustment_reports_the_new_level(api, stock, bulk_location):
    product = stock(quantity=10)
    response = api.post("/api/v1/stock/adjustments",
                        {"sku": product.sku, "location": "B-01", "quantity": 6,
                         "reason": "found", "note": "pallet"})
    assert response.status_code == 201
    body = response.json()
    assert {k: body[k] for k in ("sku", "location", "quantity", "reason", "on_hand",
                                 "allocated")} == {
        "sku": product.sku, "location": "B-01", "quantity": 6, "reason": "found",
        "on_hand": 6, "allocated": 0}
    movement = StockMovement.objects.get(id=body["movement"])
    assert (movement.actor.username, movement.note) == (api.username, "pallet")


# -- concurrency ---------------------------------------------------------------

@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_removals_never_take_stock_below_zero(stock, pick_location):
    threads, units = 8, 5
    product = stock(quantity=units)
    barrier = threading.Barrier(threads)
    outcomes: list[str] = []
    lock = threading.Lock()

    def worker() -> None:
        try:
            barrier.wait(timeout=10)
            try:
                adjust_stock(product_id=product.id, location_id=pick_location.id, quantity=-1,
                             reason="lost")
                outcome = "ok"
            except Conflict as exc:
                outcome = exc.code
            with lock:
                outcomes.append(outcome)
        finally:
            connection.close()

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join(timeout=30)
    assert sorted(outcomes) == ["inventory.insufficient_stock"] * (threads - units) + [
        "ok"] * units
    assert level(product, pick_location) == (0, 0)
    assert StockMovement.objects.filter(product=product).count() == units + 1
    assert not ledger_mismatches()


# -- the range of the on_hand column -------------------------------------------

@pytest.mark.parametrize("quantity", [2**31, -(2**31), 10**30])
def test_a_quantity_beyond_the_column_s_range_is_invalid(pick_location, quantity):
    product = ProductFactory()
    with pytest.raises(InvalidValue) as exc:
        adjust_stock(product_id=product.id, location_id=pick_location.id, quantity=quantity,
                     reason="count")
    assert (exc.value.code, exc.value.field) == ("inventory.invalid_quantity", "quantity")


def test_on_hand_cannot_grow_beyond_the_column_s_range(stock, pick_location):
    product = stock(quantity=2**31 - 2)
    before = db_state()
    with pytest.raises(InvalidValue) as exc:
        adjust_stock(product_id=product.id, location_id=pick_location.id, quantity=2,
                     reason="found")
    assert exc.value.code == "inventory.invalid_quantity"
    assert db_state() == before
    assert adjust_stock(product_id=product.id, location_id=pick_location.id, quantity=1,
                        reason="found").on_hand == 2**31 - 1

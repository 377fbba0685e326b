"""The database's CHECK constraints: the last guard behind the services."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction
from django.db.models import F

from fillrate.accounts.models import User
from fillrate.catalog.models import Product
from fillrate.inventory.models import Location, StockLevel, StockMovement
from tests.factories import ProductFactory


@pytest.fixture
def stocked(stock, pick_location):
    product = stock(quantity=5)
    StockLevel.objects.filter(product=product).update(allocated=2)
    return StockLevel.objects.filter(product=product, location=pick_location)




@pytest.mark.parametrize(
    "changes",
    [
        {"allocated": F("on_hand") + 1},
        {"on_hand": 1},  # below the 2 allocated
        {"on_hand": -1, "allocated": 0},
        {"allocated": -1},
        {"on_hand": F("on_hand") - 6},
    ],
    ids=["allocated above on hand", "on hand below allocated", "negative on hand",
         "negative allocated", "on hand minus too much"],
)
def test_stock_level_checks(stocked, changes):
    with pytest.raises(IntegrityError), transaction.atomic():
        stocked.update(**changes)
    level = stocked.get()
    assert (level.on_hand, level.allocated) == (5, 2)


def test_the_edges_are_allowed(stocked):
    stocked.update(allocated=F("on_hand"))
    assert stocked.get().allocated == 5
    stocked.update(on_hand=0, allocated=0)
    assert (stocked.get().on_hand, stocked.get().allocated) == (0, 0)


def test_one_stock_level_per_product_and_location(stocked, pick_location):
    product_id = stocked.get().product_id
    with pytest.raises(IntegrityError), transaction.atomic():
        StockLevel.objects.create(product_id=product_id, location=pick_location)


def test_a_movement_of_zero_is_refused(stocked, pick_location):
    product_id = stocked.get().product_id
    with pytest.raises(IntegrityError), transaction.atomic():
        StockMovement.objects.create(product_id=product_id, location=pick_location, quantity=0,
                                     on_hand_after=5, kind="adjusted")
    with pytest.raises(IntegrityError), transaction.atomic():
        StockMovement.objects.create(product_id=product_id, location=pick_location, quantity=1,
                                     on_hand_after=6, kind="teleported")


def test_location_kind_user_role_and_price_are_checked(pick_location, db):
    with pytest.raises(IntegrityError), transaction.atomic():
        Location.objects.filter(id=pick_location.id).update(kind="roof")
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(username="someone", role="owner")
    product = ProductFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Product.objects.filter(id=product.id).update(list_price=-1)
    with pytest.raises(IntegrityError), transaction.atomic():
        ProductFactory(sku=product.sku)

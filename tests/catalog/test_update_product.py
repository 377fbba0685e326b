"""Changing a product's master data: the service and `PATCH /products/{sku}`."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from fillrate.accounts.permissions import Role
from fillrate.catalog.models import Product
from fillrate.catalog.services import create_product, update_product
from fillrate.core.errors import Conflict, InvalidValue, NotFound
from fillrate.core.models import Event
from fillrate.orders.models import OrderLine
from tests.factories import CustomerFactory, ProductFactory
from tests.helpers import assert_error, db_state
from tests.orders.support import place

URL = "/api/v1/products/{}"


def updates(sku: str) -> list[dict]:
    return [e.payload for e in Event.objects.filter(type="ProductUpdated", subject=sku)
            .order_by("id")]


def test_update_writes_one_event_per_changed_field_with_old_and_new(db):
    ProductFactory(sku="MUG-1", name="Mug", list_price=Decimal("10.00"), category="Kitchen")
    product = update_product(sku="MUG-1", changes={
        "name": " Big mug ", "list_price": Decimal("12.5"), "category": "Kitchen",
        "upc": "0123456789012", "description": "Holds a lot"}, actor_id=None)
    assert (product.name, product.list_price, product.upc) == ("Big mug", Decimal("12.50"),
                                                               "0123456789012")
    product.refresh_from_db()
    assert product.name == "Big mug" and product.description == "Holds a lot"
    assert updates("MUG-1") == [
        {"field": "name", "old": "Mug", "new": "Big mug"},
        {"field": "list_price", "old": "10.00", "new": "12.50"},
        {"field": "upc", "old": "", "new": "0123456789012"},
        {"field": "description", "old": "", "new": "Holds a lot"},
    ]  # the category did not change: no event


def test_a_price_change_leaves_the_order_lines_at_their_locked_price(db, stock):
    product = stock(quantity=1, sku="MUG-1", list_price=Decimal("10.00"))
    customer = CustomerFactory()
    placed = place(customer.code, ("MUG-1", 3))  # 1 allocated, 2 backordered
    update_product(sku="mug-1", changes={"list_price": Decimal("15.00")})
    line = OrderLine.objects.get(order=placed.order)
    assert line.unit_price == Decimal("10.00")
    assert placed.backorders[0].lines.get().unit_price == Decimal("10.00")
    product.refresh_from_db()
    assert product.list_price == Decimal("15.00")
    later = place(customer.code, ("MUG-1", 1))
    assert later.lines[0].unit_price == Decimal("15.00")


@pytest.mark.parametrize(("changes", "code", "field"), [
    ({"name": "  "}, "catalog.invalid_name", "name"),
    ({"list_price": Decimal("-1")}, "catalog.invalid_price", "list_price"),
    ({"list_price": Decimal("1.005")}, "catalog.invalid_price", "list_price"),
    ({"upc": "9" * 33}, "catalog.invalid_value", "upc"),
    ({"discontinued": "yes"}, "catalog.invalid_value", "discontinued"),
    ({"sku": "OTHER"}, "catalog.not_editable", "sku"),
    ({"name": "Fine", "colour": "red"}, "catalog.not_editable", "colour"),
])
def test_bad_changes_are_refused_and_change_nothing(db, changes, code, field):
    ProductFactory(sku="MUG-1", name="Mug")
    before = db_state(), list(Product.objects.values())
    with pytest.raises(InvalidValue) as caught:
        update_product(sku="MUG-1", changes=changes)
    assert (caught.value.code, caught.value.field) == (code, field)
    assert (db_state(), list(Product.objects.values())) == before


def test_unknown_sku_is_404(db):
    with pytest.raises(NotFound) as caught:
        update_product(sku="NOPE", changes={"name": "x"})
    assert caught.value.code == "catalog.unknown_sku"


def test_skus_are_unique_in_any_case_and_keep_their_spelling(db):
    create_product(sku="Abc-1", name="First", list_price=Decimal("1"))
    with pytest.raises(Conflict):
        create_product(sku="aBC-1", name="Second", list_price=Decimal("1"))
    # The database refuses it too, whatever writes the row.
    with pytest.raises(IntegrityError), transaction.atomic():
        Product.objects.create(sku="ABC-1", name="Third")
    update_product(sku="ABC-1", changes={"name": "Renamed"})
    assert list(Product.objects.values_list("sku", "name")) == [("Abc-1", "Renamed")]


# --- the API ---------------------------------------------------------------

def test_patch_changes_only_the_fields_sent(api, db, stock):
    stock(quantity=4, sku="MUG-1", name="Mug", variant="Blue", list_price=Decimal("10.00"))
    response = api.patch(URL.format("mug-1"), {"list_price": "11.25", "discontinued": True})
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["sku"], body["name"], body["variant"], body["list_price"],
            body["discontinued"], body["on_hand"]) == ("MUG-1", "Mug", "Blue", "11.25", True, 4)
    assert [p["field"] for p in updates("MUG-1")] == ["list_price", "discontinued"]
    event = Event.objects.filter(type="ProductUpdated").first()
    assert event.actor_id is not None


@pytest.mark.parametrize(("body", "status", "code", "field"), [
    ({"colour": "red"}, 422, "request.unknown_field", "colour"),
    ({"sku": "NEW-1"}, 422, "request.unknown_field", "sku"),
    ({"name": ""}, 422, "request.invalid", "name"),
    ({"name": None}, 422, "catalog.invalid_value", "name"),
    ({"list_price": "-3.00"}, 422, "catalog.invalid_price", "list_price"),
    ({"list_price": "1.234"}, 422, "request.invalid", "list_price"),
    ({"discontinued": "yes"}, 422, "request.invalid", "discontinued"),
])
def test_patch_refuses_bad_bodies_and_changes_nothing(api, db, body, status, code, field):
    ProductFactory(sku="MUG-1", name="Mug")
    before = db_state(), list(Product.objects.values())
    assert_error(api.patch(URL.format("MUG-1"), body), status, code, field)
    assert (db_state(), list(Product.objects.values())) == before


def test_patch_unknown_product_is_404(api, db):
    assert_error(api.patch(URL.format("NOPE"), {"name": "x"}), 404, "catalog.unknown_sku")


@pytest.mark.parametrize("role", [Role.WAREHOUSE, Role.SALES])
def test_roles_without_catalog_manage_are_refused(make_api, db, role):
    ProductFactory(sku="MUG-1", name="Mug")
    client = make_api(role)
    before = db_state(), list(Product.objects.values())
    assert_error(client.patch(URL.format("MUG-1"), {"name": "Cup"}), 403, "auth.forbidden")
    assert_error(client.post(URL.format("MUG-1") + "/discontinue",
                                     {"cancel_backorders": True}), 403, "auth.forbidden")
    assert (db_state(), list(Product.objects.values())) == before


def test_get_finds_a_product_whatever_the_case(api, db):
    ProductFactory(sku="ABC-1", name="Thing")
    response = api.get(URL.format("abc-1"))
    assert response.status_code == 200 and response.json()["sku"] == "ABC-1"


def test_a_create_racing_another_case_is_a_conflict_not_a_crash(db, monkeypatch):
    """Two creates of one SKU in two cases at once: the second insert hits
    the constraint after its check passed; it is 409, like the check."""
    create_product(sku="Abc-1", name="First", list_price=Decimal("1"))
    real_filter = Product.objects.filter

    def check_sees_nothing(*args, **kwargs):
        qs = real_filter(*args, **kwargs)
        return qs.none() if "sku__iexact" in kwargs else qs

    monkeypatch.setattr(Product.objects, "filter", check_sees_nothing)
    with pytest.raises(Conflict) as caught:
        create_product(sku="ABC-1", name="Second", list_price=Decimal("1"))
    assert caught.value.code == "catalog.duplicate_sku"
    assert Product.objects.count() == 1

"""Order entry asks before placing a quantity far beyond what the product
usually sells (more than 1,000 and more than 10x the largest line of it in the
last 90 days); it places the order only once that is confirmed."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from fillrate.orders.models import SalesOrder
from fillrate.orders.services import LineInput
from fillrate.orders.usual import is_unusual, unusual_quantities
from fillrate.workflows.place_order import place_order
from tests.helpers import db_state
from tests.web_orders.test_order_entry import lines

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("quantity", "largest", "unusual"), [
    (1000, 0, False),  # not more than the floor
    (1001, 0, True),
    (1001, 100, True),
    (1001, 101, False),  # not more than 10x
    (2_000_000, 50_000, True),
    (500_000, 50_000, False),
])
def test_the_rule(quantity, largest, unusual):
    assert is_unusual(quantity, largest) is unusual


def test_only_the_last_90_days_count(shop):
    place_order(customer="C-WHARF", lines=[LineInput("KIT-FRN-3", 200)])
    old = place_order(customer="C-WHARF", lines=[LineInput("KIT-KET-GOO", 500)])
    SalesOrder.objects.filter(id=old.order.id).update(
        created_at=timezone.now() - dt.timedelta(days=91))
    found = unusual_quantities([("kit-frn-3", 2001), ("KIT-FRN-3", 2000),
                                ("KIT-KET-GOO", 1500)])
    assert [(u.sku, u.quantity, u.largest_recent) for u in found] == [
        ("KIT-FRN-3", 2001, 200), ("KIT-KET-GOO", 1500, 0)]


def order_form(*rows, **extra):
    return {"customer": "C-BEAN", "reference": "", **lines(*rows), **extra}


def test_a_huge_quantity_is_asked_about_and_nothing_is_placed(admin_web, shop):
    place_order(customer="C-WHARF", lines=[LineInput("KIT-FRN-3", 6)])
    before = db_state()
    response = admin_web.post("/orders/new/", order_form(("KIT-FRN-3", 2_000_000),
                                                         ("KIT-KET-GOO", 2)))
    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="confirm-quantities"' in body
    assert "<b>KIT-FRN-3</b>: 2,000,000 ordered; the largest order of it in the last 90 days " \
           "was 6." in body
    assert 'name="confirm_quantities" value="KIT-FRN-3:2000000"' in body
    assert db_state() == before

    # sent again without ticking the box: asked again, still nothing placed
    again = admin_web.post("/orders/new/", order_form(("KIT-FRN-3", 2_000_000),
                                                      confirm_asked="1"))
    assert "Tick the box to place the order" in again.content.decode()
    assert db_state() == before


def test_a_confirmed_quantity_is_placed(admin_web, shop):
    response = admin_web.post("/orders/new/", order_form(
        ("KIT-FRN-3", 5000), confirm_asked="1", confirm_quantities="KIT-FRN-3:5000"))
    assert response.status_code == 302
    order = SalesOrder.objects.get()
    assert [(x.product.sku, x.quantity) for x in order.lines.all()] == [("KIT-FRN-3", 5000)]


def test_a_confirmation_is_for_the_quantity_confirmed(admin_web, shop):
    """Confirming 5,000 and then changing it to 50,000 asks again."""
    before = db_state()
    response = admin_web.post("/orders/new/", order_form(
        ("KIT-FRN-3", 50_000), confirm_asked="1", confirm_quantities="KIT-FRN-3:5000"))
    assert response.status_code == 200 and 'id="confirm-quantities"' in response.content.decode()
    assert db_state() == before


def test_usual_quantities_are_placed_without_asking(admin_web, shop):
    place_order(customer="C-WHARF", lines=[LineInput("KIT-FRN-3", 300)])
    response = admin_web.post("/orders/new/", order_form(("KIT-FRN-3", 2500),
                                                         ("KIT-KET-GOO", 1000)))
    assert response.status_code == 302
    assert SalesOrder.objects.count() == 2

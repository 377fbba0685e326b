"""The stock-adjustment form: success, and domain errors shown inline."""

from __future__ import annotations

import re

from django.urls import reverse

from fillrate.accounts.permissions import Role
from fillrate.inventory.models import StockMovement
from fillrate.inventory.selectors import product_with_stock
from tests.factories import ProductFactory
from tests.helpers import db_state

URL = reverse("web:adjust_stock")


def _error_after(html: str, field: str) -> str:
    """The inline error inside the label that holds `field`'s input."""
    label = re.search(rf'<label class="invalid">[^<]*<[^>]+name="{field}".*?</label>', html, re.S)
    assert label, f"no invalid label around {field}"
    return label.group(0)


def test_the_form_starts_with_the_sku_and_shows_where_the_stock_is(login, stock):
    stock(quantity=4, sku="KET-1")
    response = login(Role.WAREHOUSE).get(URL, {"sku": "KET-1"})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="sku" value="KET-1"' in html
    assert response.context["product"].on_hand == 4
    assert [lv.location.code for lv in response.context["levels"]] == ["A-01"]


def test_an_adjustment_changes_stock_and_returns_to_the_product(login, stock, pick_location):
    client = login(Role.WAREHOUSE)
    stock(quantity=4, sku="KET-1")
    response = client.post(URL, {"sku": "KET-1", "location": "A-01", "quantity": "-3",
                                 "reason": "damaged", "note": "dropped"}, follow=True)
    assert response.redirect_chain == [(reverse("web:product", args=["KET-1"]), 302)]
    assert product_with_stock("KET-1").on_hand == 1
    movement = StockMovement.objects.latest("id")
    assert (movement.quantity, movement.reason, movement.note, movement.actor_id) == (
        -3, "damaged", "dropped", client.user.id)
    html = response.content.decode()
    assert "KET-1 at A-01: -3, on hand now 1." in html
    assert '<span id="fig-on-hand">1</span>' in html


def test_removing_more_than_on_hand_shows_the_error_by_quantity_and_keeps_the_input(
        login, stock, pick_location):
    client = login(Role.WAREHOUSE)
    stock(quantity=4, sku="KET-1")
    before = db_state()
    response = client.post(URL, {"sku": "KET-1", "location": "A-01", "quantity": "-9",
                                 "reason": "lost", "note": "gone missing"})
    assert response.status_code == 200
    assert db_state() == before
    form = response.context["form"]
    assert form.errors == {"quantity": [
        "KET-1 at A-01 has 4 on hand, 0 allocated: cannot remove 9"]}
    html = response.content.decode()
    assert "cannot remove 9" in _error_after(html, "quantity")
    assert 'name="quantity" value="-9"' in html
    assert 'name="sku" value="KET-1"' in html
    assert 'name="note" value="gone missing"' in html
    assert re.search(r'<option value="A-01"[^>]*selected', html)
    assert re.search(r'<option value="lost"[^>]*selected', html)


def test_an_unknown_sku_is_shown_by_the_sku_field(login, pick_location):
    client = login(Role.SUPERVISOR)
    before = db_state()
    response = client.post(URL, {"sku": "NOPE", "quantity": "5", "reason": "found"})
    assert response.status_code == 200
    assert db_state() == before
    assert "no product with SKU" in _error_after(response.content.decode(), "sku")


def test_zero_and_missing_quantities_are_form_errors(login, db):
    ProductFactory(sku="KET-1")
    client = login(Role.WAREHOUSE)
    before = db_state()
    response = client.post(URL, {"sku": "KET-1", "quantity": "0", "reason": "found"})
    assert response.context["form"].errors == {"quantity": ["Quantity cannot be zero."]}
    response = client.post(URL, {"sku": "KET-1", "quantity": "", "reason": "found"})
    assert list(response.context["form"].errors) == ["quantity"]
    assert db_state() == before


def test_a_post_without_csrf_token_is_refused(login, stock):
    from django.test import Client

    stock(quantity=4, sku="KET-1")
    client = Client(enforce_csrf_checks=True)
    client.force_login(login(Role.WAREHOUSE).user)
    before = db_state()
    response = client.post(URL, {"sku": "KET-1", "quantity": "5", "reason": "found"})
    assert response.status_code == 403
    assert db_state() == before

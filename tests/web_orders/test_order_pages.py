"""Order list filters, the detail page's actions and the oversold list."""

from __future__ import annotations

import pytest

from fillrate.backorders.models import Backorder
from fillrate.core.business import change_settings
from fillrate.orders.models import SalesOrder
from fillrate.orders.services import LineInput
from fillrate.workflows.place_order import place_order
from tests.helpers import db_state
from tests.web_orders.conftest import HTMX

pytestmark = pytest.mark.django_db


def test_order_list_filters_are_in_the_url_and_htmx_gets_rows(admin_web, short_order):
    place_order(customer="C-WHARF", lines=[LineInput("KIT-FRN-3", 1)])
    page = admin_web.get("/orders/", {"customer": "C-WHARF"}).content.decode()
    assert "Wharf Street Bar" in page and "Bean There Coffee</td>" not in page
    assert 'value="C-WHARF"' in page
    rows = admin_web.get("/orders/", {"status": "awaiting_backorder"},
                         headers={**HTMX, "HX-Target": "order-rows"}).content.decode()
    assert rows.lstrip().startswith('<div id="order-rows">')
    assert "No orders match" in rows
    bad = admin_web.get("/orders/", {"status": "nonsense"}).content.decode()
    assert "Unknown status" in bad


def test_detail_shows_lines_and_linked_backorder(admin_web, short_order):
    body = admin_web.get(f"/orders/{short_order.order.number}/").content.decode()
    assert f'href="/backorders/{short_order.backorders[0].number}/"' in body
    assert "KIT-KET-GOO" in body and "Amount due" in body
    assert admin_web.get("/orders/SO-999999/").status_code == 404


def test_cancel_order_releases_stock_and_cancels_backorders(admin_web, short_order):
    number = short_order.order.number
    response = admin_web.post(f"/orders/{number}/cancel/", {"notes": "changed mind"})
    assert response.status_code == 302
    assert SalesOrder.objects.get().status == "cancelled"
    assert Backorder.objects.get().status == "cancelled"
    again = admin_web.post(f"/orders/{number}/cancel/", follow=True).content.decode()
    assert "cannot be cancelled" in again


def test_hold_and_release(admin_web, short_order):
    number = short_order.order.number
    admin_web.post(f"/orders/{number}/hold/")
    assert SalesOrder.objects.get().status == "on_hold"
    assert "Release hold" in admin_web.get(f"/orders/{number}/").content.decode()
    admin_web.post(f"/orders/{number}/release/")
    assert SalesOrder.objects.get().status != "on_hold"


def test_manual_backorder_per_line(admin_web, short_order):
    order = short_order.order
    press = order.lines.get(product__sku="KIT-FRN-3")
    response = admin_web.post(f"/orders/{order.number}/backorder/", {
        f"qty-{press.id}": "1", "expected_date": "2030-01-15", "reason": "customer asked",
        "notes": "ship with the kettles"})
    assert response.status_code == 302
    new = Backorder.objects.order_by("-id").first()
    assert new.expected_date.isoformat() == "2030-01-15" and new.reason == "customer asked"
    assert [(x.product.sku, x.quantity) for x in new.lines.all()] == [("KIT-FRN-3", 1)]


@pytest.mark.parametrize("qty,expected,message", [
    ("5", "", "can put at most 2 on backorder"),
    ("x", "", "Enter a whole number of units"),
    ("1", "15/01/2030", "Enter a date as YYYY-MM-DD."),
    ("", "", "Enter the units to backorder"),
])
def test_manual_backorder_errors_inline_nothing_changed(admin_web, short_order, qty, expected,
                                                        message):
    order = short_order.order
    press = order.lines.get(product__sku="KIT-FRN-3")
    before = db_state()
    response = admin_web.post(f"/orders/{order.number}/backorder/",
                              {f"qty-{press.id}": qty, "expected_date": expected})
    assert response.status_code == 200
    body = response.content.decode()
    assert message in body and "<details class=\"card split-box\" open>" in body
    assert db_state() == before


def test_oversold_list_and_its_three_actions(admin_web, shop):
    change_settings(changes={"oversell_policy": "hold"})
    placed = [place_order(customer="C-BEAN", lines=[LineInput("KIT-KET-GOO", 3)])
              for _ in range(3)]
    # stock is 7: the first two fit (6), the third is 2 short -> held
    held = [p.order for p in placed if p.order.status == "on_hold"]
    assert len(held) == 1
    page = admin_web.get("/oversold/").content.decode()
    assert held[0].number in page
    for label in ("Backorder the shortfall", "Cancel the shortfall", "Release to wait"):
        assert label in page
    response = admin_web.post(f"/oversold/{held[0].number}/", {"action": "wait"})
    assert response.status_code == 302
    order = SalesOrder.objects.get(id=held[0].id)
    assert order.status != "on_hold" and order.ship_complete
    assert "No oversold orders" in admin_web.get("/oversold/").content.decode()
    again = admin_web.post(f"/oversold/{held[0].number}/", {"action": "cancel"}, follow=True)
    assert "not on the oversold list" in again.content.decode()

"""The order entry page: live stock per line, the shortfall warning, and
errors shown inline with nothing placed."""

from __future__ import annotations

import pytest

from fillrate.backorders.models import Backorder
from fillrate.core.business import change_settings
from fillrate.orders.models import SalesOrder
from tests.helpers import db_state
from tests.web_orders.conftest import HTMX

pytestmark = pytest.mark.django_db


def lines(*rows):
    data = {"sku": [], "quantity": [], "unit_price": []}
    for sku, qty, *price in rows:
        data["sku"].append(sku)
        data["quantity"].append(str(qty))
        data["unit_price"].append(price[0] if price else "")
    return data


def test_entry_page_lists_customers_and_blank_lines(admin_web, shop):
    page = admin_web.get("/orders/new/").content.decode()
    assert '<option value="C-BEAN">Bean There Coffee (VIP)</option>' in page
    assert page.count('name="sku"') == 3


def test_sku_search_shows_available_stock_as_you_type(admin_web, shop):
    partial = admin_web.get("/orders/new/sku/", {"sku": "kit", "key": "k1"}, headers=HTMX)
    body = partial.content.decode()
    assert "<html" not in body
    assert 'datalist id="skus-k1"' in body
    assert "KIT-KET-GOO" in body and "7 avail" in body and "KIT-FRN-3" in body
    exact = admin_web.get("/orders/new/sku/", {"sku": "KIT-FRN-3", "key": "k1"},
                          headers=HTMX).content.decode()
    assert "12 available" in exact
    none = admin_web.get("/orders/new/sku/", {"sku": "nothing-like-it", "key": "k1"},
                         headers=HTMX).content.decode()
    assert "No product matches" in none


def test_add_line_gives_one_blank_line(admin_web, shop):
    body = admin_web.get("/orders/new/line/", headers=HTMX).content.decode()
    assert body.count('name="sku"') == 1 and "<html" not in body


def test_shortfall_warning_lists_what_will_be_backordered(admin_web, shop):
    before = db_state()
    body = admin_web.post("/orders/new/shortfall/", lines(("KIT-KET-GOO", 10), ("KIT-FRN-3", 2),
                                                          ("NOPE", 1)),
                          headers=HTMX).content.decode()
    assert "These units will be backordered" in body
    assert "10 ordered, 7 available" in body and "3 to backorder" in body
    assert "KIT-FRN-3" not in body
    assert "Unknown SKU: NOPE" in body
    assert db_state() == before
    ok = admin_web.post("/orders/new/shortfall/", lines(("KIT-FRN-3", 2)), headers=HTMX)
    assert "Everything ordered is in stock" in ok.content.decode()


def test_shortfall_warning_follows_the_oversell_policy(admin_web, shop):
    change_settings(changes={"oversell_policy": "hold"})
    body = admin_web.post("/orders/new/shortfall/", lines(("COF-ESP-1KG", 1)),
                          headers=HTMX).content.decode()
    assert "oversold list" in body


def test_placing_an_order_with_a_shortfall_opens_its_backorder(admin_web, shop):
    response = admin_web.post("/orders/new/", {"customer": "C-BEAN", "reference": "PO-7",
                                               **lines(("KIT-KET-GOO", 10), ("", ""),
                                                       ("KIT-FRN-3", 2, "9.50"))})
    order = SalesOrder.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/orders/{order.number}/"
    backorder = Backorder.objects.get()
    assert order.reference == "PO-7"
    assert [(x.product.sku, x.quantity) for x in backorder.lines.all()] == [("KIT-KET-GOO", 3)]
    assert str(order.lines.get(line_no=2).unit_price) == "9.50"
    page = admin_web.get(response["Location"]).content.decode()
    assert f"backordered on {backorder.number}" in page
    assert f'href="/backorders/{backorder.number}/"' in page


@pytest.mark.parametrize("form,message", [
    ({"customer": "", **lines(("KIT-KET-GOO", 1))}, "Choose a customer."),
    ({"customer": "C-NOBODY", **lines(("KIT-KET-GOO", 1))}, "no customer"),
    ({"customer": "C-BEAN", **lines(("KIT-NOPE", 1))}, "no product with SKU"),
    ({"customer": "C-BEAN", **lines(("KIT-KET-GOO", "lots"))}, "Enter a whole number."),
    ({"customer": "C-BEAN", **lines(("KIT-KET-GOO", 0))}, "Quantity must be at least 1."),
    ({"customer": "C-BEAN", **lines(("KIT-KET-GOO", 1, "cheap"))}, "Enter a price like"),
    ({"customer": "C-BEAN", **lines(("", ""))}, "Add at least one line"),
])
def test_errors_are_inline_and_nothing_is_placed(admin_web, shop, form, message):
    before = db_state()
    response = admin_web.post("/orders/new/", form)
    assert response.status_code == 200
    body = response.content.decode()
    assert message in body and 'role="alert"' in body
    assert db_state() == before
    if form["sku"][0]:
        assert f'value="{form["sku"][0]}"' in body  # what was typed stays


def test_reject_policy_error_is_shown_on_its_line(admin_web, shop):
    change_settings(changes={"oversell_policy": "reject"})
    before = db_state()
    body = admin_web.post("/orders/new/", {"customer": "C-BEAN",
                                           **lines(("KIT-FRN-3", 1), ("KIT-KET-GOO", 10))}
                          ).content.decode()
    assert "KIT-KET-GOO: 10 ordered, 7 available" in body
    assert db_state() == before

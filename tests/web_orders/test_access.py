"""Who may open and use the order, backorder and settings pages."""

from __future__ import annotations

import pytest

from fillrate.accounts.permissions import Role
from tests.helpers import db_state
from tests.web_orders.conftest import HTMX

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("url", ["/orders/", "/orders/new/", "/oversold/", "/backorders/",
                                 "/settings/"])
def test_anonymous_is_sent_to_log_in(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=")


def test_anonymous_htmx_request_is_told_to_load_the_login_page(client):
    response = client.get("/orders/new/sku/?sku=KIT", headers=HTMX)
    assert response.status_code == 200
    assert response["HX-Redirect"].startswith("/login/")


@pytest.mark.parametrize("method,url", [
    ("get", "/orders/new/"),
    ("post", "/orders/new/"),
    ("post", "/orders/new/shortfall/"),
    ("get", "/orders/new/sku/?sku=KIT"),
    ("post", "/orders/SO-000001/cancel/"),
    ("post", "/orders/SO-000001/hold/"),
    ("post", "/orders/SO-000001/release/"),
    ("post", "/orders/SO-000001/backorder/"),
    ("post", "/oversold/SO-000001/"),
    ("post", "/backorders/BO-000001/cancel/"),
    ("post", "/backorders/BO-000001/edit/priority/"),
    ("get", "/backorders/BO-000001/edit/priority/"),
    ("post", "/backorders/BO-000001/communications/"),
])
def test_warehouse_may_not_place_or_change_orders_or_backorders(login, short_order, method,
                                                                url):
    client = login(Role.WAREHOUSE)
    before = db_state()
    response = getattr(client, method)(url, {"reason": "customer_requested", "priority": "high",
                                             "customer": "C-BEAN", "sku": "KIT-KET-GOO",
                                             "quantity": "1", "action": "cancel"})
    assert response.status_code == 403
    assert db_state() == before


def test_sales_may_read_settings_but_not_change_them(login):
    client = login(Role.SALES)
    page = client.get("/settings/")
    assert page.status_code == 200
    assert b"Only administrators can change these" in page.content
    assert b"<form method=\"post\" action=\"/settings/\"" not in page.content
    before = db_state()
    assert client.post("/settings/", {"max_backorder_age_days": "5"}).status_code == 403
    assert db_state() == before


def test_warehouse_sees_pages_without_the_buttons_it_may_not_use(login, short_order):
    client = login(Role.WAREHOUSE)
    number = short_order.backorders[0].number
    detail = client.get(f"/backorders/{number}/").content.decode()
    assert "Cancel backorder" not in detail
    assert "hx-get=\"/backorders/" not in detail  # no inline edit buttons
    assert "Record</button>" not in detail
    order = client.get(f"/orders/{short_order.order.number}/").content.decode()
    assert "Cancel order" not in order and "Put on hold" not in order
    assert "To backorder" not in order
    listing = client.get("/orders/").content.decode()
    assert "New order" not in listing
    nav = client.get("/backorders/").content.decode()
    for label in ("Orders", "Backorders", "Oversold", "Settings"):
        assert f">{label}</a>" in nav


def test_sales_sees_the_buttons(login, short_order):
    client = login(Role.SALES)
    detail = client.get(f"/backorders/{short_order.backorders[0].number}/").content.decode()
    assert "Cancel backorder" in detail and "Edit priority" in detail
    assert "New order" in client.get("/orders/").content.decode()

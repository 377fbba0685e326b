"""Order entry at the keyboard: Enter moves on, only the button places."""

from __future__ import annotations

import re

import pytest

from fillrate.orders.models import SalesOrder
from tests.browser.test_order_flows import log_in, shop  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_enter_in_a_quantity_moves_on_and_never_places_the_order(tab, live_server,
                                                                  shop):  # noqa: F811
    from playwright.sync_api import expect

    log_in(tab, live_server, "/orders/new/")
    tab.get_by_role("combobox", name=re.compile(r"^Customer")).fill("C-BEAN")
    lines = tab.locator(".order-line")
    expect(lines).to_have_count(3)
    expect(tab.locator("#order-form button[disabled]")).to_be_hidden()  # the Enter guard
    expect(tab.locator("#order-form input[name=form_key]")).to_be_hidden()
    lines.nth(0).get_by_label("SKU").fill("KIT-FRN-3")
    quantity = lines.nth(0).get_by_label("Quantity")
    quantity.fill("2")
    quantity.press("Enter")
    expect(lines.nth(0).get_by_label("Unit price")).to_be_focused()
    tab.keyboard.press("Enter")  # from the price to the next line's SKU
    expect(lines.nth(1).get_by_label("SKU")).to_be_focused()

    last = lines.nth(2)
    last.get_by_label("SKU").fill("KIT-KET-GOO")
    last.get_by_label("Quantity").fill("1")
    last.get_by_label("Quantity").press("Enter")
    last.get_by_label("Unit price").press("Enter")  # the last field: a new line
    expect(lines).to_have_count(4)
    expect(lines.nth(3).get_by_label("SKU")).to_be_focused()
    tab.wait_for_timeout(300)
    assert SalesOrder.objects.count() == 0
    expect(tab).to_have_url(re.compile(r"/orders/new/$"))

    tab.get_by_role("button", name="Place order").click()
    expect(tab).to_have_url(re.compile(r"/orders/SO-\d+/$"))
    order = SalesOrder.objects.get()
    assert sorted(x.product.sku for x in order.lines.all()) == ["KIT-FRN-3", "KIT-KET-GOO"]

"""Master data in a real browser: edit a product's price, discontinue it with
the dialog cancelling its backorders, and customer suggestions as you type."""

from __future__ import annotations

from decimal import Decimal

import pytest

from fillrate.accounts.permissions import Role
from fillrate.accounts.services import add_user
from fillrate.backorders.models import Backorder
from fillrate.orders.services import LineInput
from fillrate.workflows.invariants import all_problems
from fillrate.workflows.place_order import place_order
from tests.browser.test_stock_flow import PASSWORD, log_in
from tests.factories import CustomerFactory, LocationFactory, ProductFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def shop(db):
    """A supervisor; MUG-1 (10.00, none in stock) that two customers wait for."""
    add_user(username="sam", role=Role.SUPERVISOR, password=PASSWORD)
    LocationFactory(code="A-01", kind="pick", pick_sequence=10)
    ProductFactory(sku="MUG-1", name="Enamel Mug", list_price=Decimal("10.00"))
    for code, name in (("C-BEAN", "Bean There Coffee"), ("C-IVY", "Ivy Lane Cafe")):
        CustomerFactory(code=code, name=name)
        place_order(customer=code, lines=[LineInput("MUG-1", 2)])


def test_edit_the_price_then_discontinue_cancelling_the_backorders(tab, live_server, shop):
    from playwright.sync_api import expect

    log_in(tab, live_server, username="sam")
    tab.goto(f"{live_server.url}/products/MUG-1/")
    waiting = tab.locator("#waiting tbody tr")
    expect(waiting).to_have_count(2)
    expect(waiting.first).to_contain_text("Bean There Coffee")

    tab.get_by_role("link", name="Edit").click()
    tab.get_by_label("List price").fill("12.50")
    tab.get_by_role("button", name="Save").click()
    expect(tab.locator(".flash")).to_contain_text("MUG-1 saved.")
    expect(tab.locator("dl.facts")).to_contain_text("12.50")

    tab.get_by_role("link", name="Discontinue").click()
    dialog = tab.locator("dialog#discontinue")
    expect(dialog).to_be_visible()  # the dialog, not the fallback page
    expect(dialog).to_contain_text("2 open backorders wait for this product")
    expect(dialog.get_by_role("checkbox")).to_be_checked()
    dialog.get_by_role("button", name="Discontinue").click()

    expect(tab.locator(".flash")).to_contain_text("2 backorders cancelled (product discontinued)")
    expect(tab.locator("dl.facts")).to_contain_text("discontinued")
    expect(tab.locator("#waiting")).to_contain_text("Nobody is waiting for it.")
    assert sorted(Backorder.objects.values_list("status", "cancel_reason")) == [
        ("cancelled", "product_discontinued")] * 2
    assert all_problems() == []


def test_order_entry_suggests_customers_by_name(tab, live_server, shop):
    from playwright.sync_api import expect

    log_in(tab, live_server, username="sam")
    tab.goto(f"{live_server.url}/orders/new/")
    tab.get_by_label("Customer").press_sequentially("ivy")
    options = tab.locator("#customer-options option")
    expect(options).to_have_count(1)  # swapped in by htmx as typed
    expect(options.first).to_have_attribute("value", "C-IVY")

"""Setting up a place on a fresh install, in a real browser: a supervisor
adds a location on the Locations page and adjusts stock into it."""

from __future__ import annotations

import re

import pytest

from fillrate.accounts.permissions import Role
from fillrate.accounts.services import add_user
from fillrate.inventory.models import Location, StockLevel
from tests.factories import ProductFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct-horse-9"


def test_add_a_location_then_adjust_stock_into_it(tab, live_server, default_warehouse):
    from playwright.sync_api import expect

    add_user(username="sue", role=Role.SUPERVISOR, password=PASSWORD)
    ProductFactory(sku="KIT-FRN-8", name="French Press")
    tab.goto(f"{live_server.url}/login/?next=/products/")
    tab.get_by_label("User name").fill("sue")
    tab.get_by_label("Password").fill(PASSWORD)
    tab.get_by_role("button", name="Log in").click()

    tab.get_by_role("navigation", name="Sections").get_by_role("link", name="Locations").click()
    expect(tab.get_by_role("heading", name="Warehouses and locations")).to_be_visible()
    rows = tab.locator("#location-rows tbody tr")
    expect(rows).to_have_count(3)  # PICK, RECV, ISSUES of the fresh install

    form = tab.locator("section", has=tab.get_by_role("heading", name="Add location"))
    expect(form.get_by_label("Warehouse")).to_have_value("MAIN")
    form.get_by_label("Code").fill("B-07")
    form.get_by_label("Kind").select_option("bulk")
    form.get_by_label("Pick sequence").fill("120")
    form.get_by_label("Zone").fill("B")
    form.get_by_role("button", name="Add location").click()

    expect(tab.get_by_role("status")).to_have_text("Location B-07 added to MAIN.")
    expect(rows).to_have_count(4)
    expect(rows.nth(1)).to_contain_text("B-07")  # by pick sequence: PICK 10, B-07 120
    assert Location.objects.get(code="B-07").kind == "bulk"

    tab.get_by_role("link", name="Adjust stock").click()
    tab.get_by_label("SKU").fill("KIT-FRN-8")
    tab.get_by_label("Location").select_option("B-07")
    tab.get_by_label("Quantity (+/-)").fill("9")
    tab.get_by_label("Reason").select_option("count")
    tab.get_by_role("button", name="Save adjustment").click()

    expect(tab).to_have_url(re.compile(r"/products/KIT-FRN-8/$"))
    expect(tab.get_by_role("status")).to_contain_text("KIT-FRN-8 at B-07: +9, on hand now 9")
    level = StockLevel.objects.get(product__sku="KIT-FRN-8")
    assert (level.location.code, level.on_hand) == ("B-07", 9)

    # Holding stock now, B-07 cannot be deactivated from the list.
    tab.get_by_role("navigation", name="Sections").get_by_role("link", name="Locations").click()
    expect(tab.get_by_role("button", name="Deactivate B-07")).to_be_disabled()

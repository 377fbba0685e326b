"""Receiving a purchase order in a real browser against a live server."""

from __future__ import annotations

import re

import pytest

from fillrate.accounts.permissions import Role
from fillrate.accounts.services import add_user
from fillrate.backorders.models import Backorder
from fillrate.orders.services import LineInput
from fillrate.purchasing.models import Receipt
from fillrate.purchasing.services import PurchaseLineInput, create_supplier
from fillrate.workflows.invariants import all_problems
from fillrate.workflows.place_order import place_order
from fillrate.workflows.purchase_orders import create_purchase_order
from tests.factories import CustomerFactory, LocationFactory, ProductFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct-horse-9"


@pytest.fixture
def scene(db):
    """GASKET has no stock; C-OLD's order backordered 3 of it, then C-NEW's
    4; PO ordered from ACME for 10 GASKET and 5 WASHER."""
    add_user(username="wes", role=Role.WAREHOUSE, password=PASSWORD)
    LocationFactory(code="A-01", kind="pick", pick_sequence=10)
    LocationFactory(code="RECV", kind="receiving", pick_sequence=900)
    ProductFactory(sku="GASKET", name="Rubber Gasket")
    ProductFactory(sku="WASHER", name="Steel Washer", upc="0123456789012")
    CustomerFactory(code="C-OLD", name="Old Mill Bakery")
    CustomerFactory(code="C-NEW", name="New Leaf Cafe")
    oldest = place_order(customer="C-OLD", lines=[LineInput("GASKET", 3)]).backorders[0]
    newer = place_order(customer="C-NEW", lines=[LineInput("GASKET", 4)]).backorders[0]
    create_supplier(code="ACME", name="Acme Supplies", lead_time_days=7)
    po = create_purchase_order(supplier="ACME", lines=[PurchaseLineInput("GASKET", 10),
                                                       PurchaseLineInput("WASHER", 5)])
    return {"oldest": oldest.number, "newer": newer.number, "po": po.number}


def log_in(page, live_server, next_path: str):
    from playwright.sync_api import expect

    page.goto(f"{live_server.url}/login/?next={next_path}")
    page.get_by_label("User name").fill("wes")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(re.escape(next_path) + "$"))


def test_receive_a_purchase_order_and_watch_the_oldest_backorder_become_ready(
        tab, live_server, scene):
    from playwright.sync_api import expect

    po, oldest, newer = scene["po"], scene["oldest"], scene["newer"]
    log_in(tab, live_server, f"/purchase-orders/{po}/")
    expect(tab.locator("#po-lines")).to_contain_text("GASKET")
    tab.get_by_role("link", name="Receive", exact=True).click()
    expect(tab).to_have_url(re.compile(rf"/purchase-orders/{po}/receive/$"))

    gaskets = tab.get_by_label("Units of GASKET received")
    washers = tab.get_by_label("Units of WASHER received")
    scan = tab.get_by_label("Scan or type a SKU")
    expect(scan).to_be_focused()  # a scanner can start at once
    expect(gaskets).to_have_value("")
    gaskets.fill("2")
    scan.fill("gasket")
    scan.press("Enter")  # one more gasket: 3, what the oldest backorder waits for
    expect(gaskets).to_have_value("3")
    expect(tab.locator("#scan-message")).to_have_text("+1 GASKET: 3 receiving now.")
    expect(scan).to_have_value("")
    scan.fill("NOPE-1")
    scan.press("Enter")
    expect(tab.locator("#scan-message")).to_contain_text("“NOPE-1” is not an outstanding line")
    expect(gaskets).to_have_value("3")
    expect(washers).to_have_value("")
    washers.fill("5")
    scan.fill("0123456789012")  # WASHER's UPC, one past its 5 outstanding
    scan.press("Enter")
    expect(washers).to_have_value("6")
    expect(tab.locator("#scan-message")).to_have_text(
        "+1 WASHER: 6 receiving now, 1 more than the 5 outstanding "
        "(tick “Allow over-receipt” to take them).")
    expect(tab.locator("#scan-message")).to_have_class(re.compile(r"\bwarn\b"))
    washers.fill("")
    assert Receipt.objects.count() == 0  # Enter in the scan box never saves

    tab.get_by_role("button", name="Save receipt").click()
    expect(tab).to_have_url(re.compile(rf"/purchase-orders/{po}/receipts/RC-\d+/$"))
    expect(tab.locator("#receipt-lines")).to_contain_text("GASKET")
    fed = tab.locator("#fed tbody tr")
    expect(fed).to_have_count(1)
    expect(fed.first).to_contain_text(oldest)
    expect(fed.first).to_contain_text("Old Mill Bakery")
    expect(fed.first).to_contain_text("Ready to fulfil")
    expect(tab.locator("#fed")).not_to_contain_text(newer)

    fed.first.get_by_role("link", name=oldest).click()
    expect(tab).to_have_url(re.compile(rf"/backorders/{oldest}/$"))
    expect(tab.get_by_role("heading", level=1)).to_contain_text(oldest)
    expect(tab.locator("h1 .badge")).to_have_text("Ready to fulfil")

    tab.goto(f"{live_server.url}/backorders/{newer}/")
    expect(tab.locator("h1 .badge")).to_have_text("Open")
    assert Backorder.objects.get(id=int(newer[3:])).status == "open"
    assert all_problems() == []

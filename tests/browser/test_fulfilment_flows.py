"""Fulfilling a backorder in part, dispatching it and finding its invoice,
in a real browser against a live server."""

from __future__ import annotations

import re

import pytest

from fillrate.accounts.permissions import Role
from fillrate.accounts.services import add_user
from fillrate.backorders.models import BackorderLine
from fillrate.fulfilment.models import Invoice
from fillrate.orders.services import LineInput
from fillrate.workflows.adjust_stock import adjust_stock_and_feed
from fillrate.workflows.invariants import all_problems
from fillrate.workflows.place_order import place_order
from tests.factories import CustomerFactory, LocationFactory, ProductFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct-horse-9"


@pytest.fixture
def backorder(db):
    """A backorder for 5 espresso beans placed with none in stock, then 5
    found by a count: all 5 are allocated to it."""
    add_user(username="wendy", role=Role.WAREHOUSE, password=PASSWORD)
    pick = LocationFactory(code="A-01", kind="pick", pick_sequence=10)
    beans = ProductFactory(sku="COF-ESP-1KG", name="Espresso Beans", list_price="18.50")
    CustomerFactory(code="C-BEAN", name="Bean There Coffee", payment_terms="Net 30")
    placed = place_order(customer="C-BEAN", lines=[LineInput("COF-ESP-1KG", 5)])
    adjust_stock_and_feed(product_id=beans.id, location_id=pick.id, quantity=5, reason="found")
    (b,) = placed.backorders
    assert BackorderLine.objects.get(backorder_id=b.id).allocated == 5
    return b


def log_in(tab, live_server):
    from playwright.sync_api import expect

    tab.goto(f"{live_server.url}/login/?next=/backorders/")
    tab.get_by_label("User name").fill("wendy")
    tab.get_by_label("Password").fill(PASSWORD)
    tab.get_by_role("button", name="Log in").click()
    expect(tab.get_by_role("heading", name="Backorders")).to_be_visible()


def test_fulfil_part_of_a_backorder_dispatch_it_and_find_the_invoice(tab, live_server,
                                                                      backorder):
    from playwright.sync_api import expect

    number = backorder.number
    log_in(tab, live_server)
    tab.get_by_role("link", name="Fulfillable backorders").click()
    expect(tab.get_by_role("heading", name="Fulfillable backorders")).to_be_visible()
    card = tab.locator(f"#ff-{number}")
    ready = card.get_by_test_id(f"ready-{number}-COF-ESP-1KG")
    expect(ready).to_have_text("5")

    # seed 002's "Filled": 2 of the 5 held units
    card.get_by_label(f"Units of COF-ESP-1KG to fulfil on {number}").fill("2")
    card.get_by_role("button", name="Fulfil entered units").click()
    message = tab.get_by_role("status")
    expect(message).to_contain_text(f"{number}: 2 units: fulfillment queued: FF-")
    expect(ready).to_have_text("3")  # the rest stays open to fulfil
    expect(card).to_contain_text("3 units ready of 5 open on the backorder")

    tab.get_by_role("link", name=number).first.click()
    expect(tab.locator("#bo-fulfilment")).to_contain_text("3 held units can ship now")
    expect(tab.locator("#bo-fulfilment").get_by_role("link", name="Fulfil")).to_be_visible()

    fulfillment = tab.locator("#bo-fulfilment tbody tr").first
    expect(fulfillment).to_contain_text("Queued")
    ff_number = fulfillment.get_by_role("link").first.inner_text()
    fulfillment.get_by_role("link", name=ff_number).click()
    expect(tab.get_by_role("heading", name=re.compile(ff_number))).to_be_visible()
    expect(tab.locator("#fulfillment-lines tbody tr")).to_have_count(1)
    expect(tab.locator("#fulfillment-lines tbody tr")).to_contain_text("COF-ESP-1KG")

    tab.get_by_label("Carrier").fill("DHL Express")
    tab.get_by_label("Tracking number").fill("JD0146000001")
    tab.get_by_role("button", name="Dispatch").click()
    expect(tab.get_by_role("status")).to_contain_text(f"{ff_number} dispatched; invoice INV-")
    expect(tab.get_by_role("heading", name=re.compile(ff_number))).to_contain_text("Dispatched")
    expect(tab.locator(".facts")).to_contain_text("JD0146000001")

    invoice = Invoice.objects.get()
    tab.get_by_role("navigation", name="Sections").get_by_role("link", name="Invoices").click()
    row = tab.locator("#invoice-rows tbody tr", has_text=invoice.number)
    expect(row).to_contain_text("Bean There Coffee")
    expect(row).to_contain_text("$37.00")  # 2 at the locked 18.50
    csv_href = tab.get_by_role("link", name="Download CSV").get_attribute("href")
    row.get_by_role("link", name=invoice.number).click()
    expect(tab.get_by_role("heading", name=re.compile(invoice.number))).to_be_visible()
    expect(tab.locator("#invoice-lines tbody tr")).to_contain_text("18.50")
    expect(tab.locator("#invoice-total")).to_have_text("$37.00")
    expect(tab.get_by_role("link", name=ff_number)).to_be_visible()

    answer = tab.request.get(f"{live_server.url}{csv_href}")
    assert answer.status == 200
    assert answer.headers["content-type"].startswith("text/csv")
    lines = answer.text().splitlines()
    assert lines[0].startswith("InvoiceNo,Customer,InvoiceDate,DueDate")
    assert lines[1].startswith(f"{invoice.number},Bean There Coffee,")

    line = BackorderLine.objects.get(backorder_id=backorder.id)
    assert (line.allocated, line.fulfilled) == (3, 2)
    assert all_problems() == []

"""Order entry and backorder handling in a real browser against a live server."""

from __future__ import annotations

import re

import pytest

from fillrate.accounts.permissions import Role
from fillrate.accounts.services import add_user
from fillrate.backorders.models import Backorder
from fillrate.inventory.selectors import product_with_stock
from fillrate.inventory.services import adjust_stock
from fillrate.orders.services import LineInput
from fillrate.workflows.adjust_stock import adjust_stock_and_feed
from fillrate.workflows.invariants import all_problems
from fillrate.workflows.place_order import place_order
from tests.browser.conftest import LAPTOP, PHONE
from tests.factories import CustomerFactory, LocationFactory, ProductFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct-horse-9"


@pytest.fixture
def shop(db):
    add_user(username="sam", role=Role.SALES, password=PASSWORD)
    pick = LocationFactory(code="A-01", kind="pick", pick_sequence=10)
    for sku, name, quantity in (("KIT-KET-GOO", "Gooseneck Kettle", 7),
                                ("KIT-FRN-3", "French Press", 12)):
        product = ProductFactory(sku=sku, name=name)
        adjust_stock(product_id=product.id, location_id=pick.id, quantity=quantity,
                     reason="count")
    CustomerFactory(code="C-BEAN", name="Bean There Coffee")
    CustomerFactory(code="C-WHARF", name="Wharf Street Bar")
    return pick


def log_in(page, live_server, next_path: str):
    from playwright.sync_api import expect

    page.goto(f"{live_server.url}/login/?next={next_path}")
    page.get_by_label("User name").fill("sam")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(re.escape(next_path) + "$"))


@pytest.mark.parametrize("viewport", [LAPTOP, PHONE], ids=["laptop", "phone"])
def test_place_order_with_shortfall_then_find_its_backorder(open_tab, live_server, shop,
                                                            viewport):
    from playwright.sync_api import expect

    # Someone else's backorder for the same SKU, which the filters must hide.
    place_order(customer="C-WHARF", lines=[LineInput("KIT-KET-GOO", 9)])  # 2 short
    adjust_stock(product_id=product_with_stock("KIT-KET-GOO").id, location_id=shop.id,
                 quantity=7, reason="found")  # 7 available again

    page = open_tab(viewport)
    log_in(page, live_server, "/orders/new/")
    page.get_by_role("combobox", name=re.compile(r"^Customer")).fill("C-BEAN")
    lines = page.locator(".order-line")
    lines.nth(0).get_by_label("SKU").press_sequentially("gooseneck", delay=20)
    chip = lines.nth(0).get_by_role("button", name=re.compile("KIT-KET-GOO"))
    expect(chip).to_contain_text("7 avail")
    chip.click()  # picks the SKU: the line now shows the product's stock
    expect(lines.nth(0).locator(".line-stock")).to_contain_text("7 available")
    lines.nth(0).get_by_label("Quantity").fill("10")
    lines.nth(1).get_by_label("SKU").fill("KIT-FRN-3")
    lines.nth(1).get_by_label("Quantity").fill("2")
    lines.nth(2).get_by_role("button", name="Remove line").click()
    expect(lines).to_have_count(2)

    warning = page.locator("#shortfall")
    expect(warning).to_contain_text("These units will be backordered")
    expect(warning).to_contain_text("KIT-KET-GOO")
    expect(warning).to_contain_text("10 ordered, 7 available, 3 to backorder")
    expect(warning).not_to_contain_text("KIT-FRN-3")

    page.get_by_role("button", name="Place order").click()
    expect(page).to_have_url(re.compile(r"/orders/SO-\d+/$"))
    expect(page.locator(".flash")).to_contain_text("3 units backordered on BO-")
    backorder = Backorder.objects.get(customer__code="C-BEAN")

    page.get_by_role("link", name="Backorders", exact=True).click()
    rows = page.locator("#backorder-results tbody tr")
    expect(rows).to_have_count(2)
    page.get_by_label("Customer").fill("C-BEAN")
    page.get_by_label("SKU").fill("KIT-KET-GOO")
    expect(rows).to_have_count(1)  # swapped in by htmx
    expect(rows.first).to_contain_text(backorder.number)
    expect(page).to_have_url(re.compile(r"customer=C-BEAN.*sku=KIT-KET-GOO"))
    page.reload()  # the filters live in the URL
    expect(page.get_by_label("Customer")).to_have_value("C-BEAN")
    expect(rows).to_have_count(1)
    rows.first.get_by_role("link", name=backorder.number).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(backorder.number)
    expect(page.locator("#bo-lines")).to_contain_text("KIT-KET-GOO")


def test_cancel_backorder_in_the_dialog_releases_its_stock(open_tab, live_server, shop):
    from playwright.sync_api import expect

    placed = place_order(customer="C-BEAN", lines=[LineInput("KIT-KET-GOO", 12)])  # 5 short
    backorder = placed.backorders[0]
    product = product_with_stock("KIT-KET-GOO")
    # found stock goes to the waiting backorder (invariant 3)
    adjust_stock_and_feed(product_id=product.id, location_id=shop.id, quantity=5,
                          reason="found")
    assert all_problems() == []
    assert product_with_stock("KIT-KET-GOO").allocated == 12

    page = open_tab()
    log_in(page, live_server, f"/backorders/{backorder.number}/")
    expect(page.locator("h1 .badge")).to_have_text("Ready to fulfil")
    expect(page.get_by_test_id("available-KIT-KET-GOO")).to_have_text("0")

    page.get_by_role("button", name="Cancel backorder").click()
    dialog = page.locator("dialog#cancel-backorder")
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name="Cancel backorder").click()
    expect(dialog.get_by_role("alert")).to_have_text("Choose a reason.")
    dialog.get_by_role("combobox", name=re.compile(r"^Reason")).select_option("other")
    dialog.get_by_role("button", name="Cancel backorder").click()
    expect(dialog.get_by_role("alert")).to_contain_text("Explain the reason")
    assert Backorder.objects.get(id=backorder.id).status == "ready"  # nothing changed

    dialog.get_by_role("textbox", name=re.compile(r"^Notes")).fill("customer bought elsewhere")
    dialog.get_by_role("button", name="Cancel backorder").click()
    expect(page.locator(".flash")).to_contain_text("its allocated stock is free again")
    expect(page.locator("h1 .badge")).to_have_text("Cancelled")
    expect(page.get_by_test_id("available-KIT-KET-GOO")).to_have_text("5")
    expect(page.locator("#events")).to_contain_text("Backorder cancelled")

    page.get_by_role("link", name="KIT-KET-GOO").click()
    expect(page.locator("#fig-allocated")).to_have_text("7")
    expect(page.locator("#fig-available")).to_have_text("5")
    assert all_problems() == []

"""The pages people use most, in a real browser against a live server."""

from __future__ import annotations

import re

import pytest

from fillrate.accounts.permissions import Role
from fillrate.accounts.services import add_user
from fillrate.inventory.selectors import product_with_stock
from tests.browser.conftest import PHONE
from tests.factories import CustomerFactory, LocationFactory, ProductFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct-horse-9"


@pytest.fixture
def shop(db):
    """A warehouse user, two products with stock and one without."""
    from fillrate.inventory.services import adjust_stock

    add_user(username="wendy", role=Role.WAREHOUSE, password=PASSWORD)
    pick = LocationFactory(code="A-01", kind="pick", pick_sequence=10)
    for sku, name, quantity in (("KIT-KET-GOO", "Gooseneck Kettle", 7),
                                ("KIT-FRN-3", "French Press", 12),
                                ("COF-ESP-1KG", "Espresso Beans", 0)):
        product = ProductFactory(sku=sku, name=name)
        if quantity:
            adjust_stock(product_id=product.id, location_id=pick.id, quantity=quantity,
                         reason="count", note="opening count")
    CustomerFactory(code="C-BEAN", name="Bean There Coffee")


def log_in(tab, live_server, username="wendy"):
    from playwright.sync_api import expect

    tab.goto(f"{live_server.url}/")
    expect(tab).to_have_url(re.compile(r"/login/\?next=/$"))
    tab.get_by_label("User name").fill(username)
    tab.get_by_label("Password").fill(PASSWORD)
    tab.get_by_role("button", name="Log in").click()
    expect(tab.get_by_role("heading", name="Products")).to_be_visible()


def test_search_open_adjust_and_see_the_new_figure_and_movement(tab, live_server, shop):
    from playwright.sync_api import expect

    log_in(tab, live_server)
    rows = tab.locator("#product-rows tbody tr")
    expect(rows).to_have_count(3)

    tab.get_by_role("searchbox", name="Search products").fill("kettle")
    expect(rows).to_have_count(1)  # swapped in by htmx, no page load
    expect(rows.first).to_contain_text("Gooseneck Kettle")
    expect(tab).to_have_url(re.compile(r"/products/\?q=kettle$"))

    tab.get_by_role("link", name="KIT-KET-GOO").click()
    expect(tab.get_by_role("heading", name=re.compile("Gooseneck Kettle"))).to_be_visible()
    expect(tab.locator("#fig-on-hand")).to_have_text("7")
    expect(tab.locator("#movements tbody tr")).to_have_count(1)

    tab.get_by_role("link", name="Adjust stock").last.click()
    expect(tab.get_by_label("SKU")).to_have_value("KIT-KET-GOO")
    tab.get_by_label("Location").select_option("A-01")
    tab.get_by_label("Quantity (+/-)").fill("5")
    tab.get_by_label("Reason").select_option("found")
    tab.get_by_label("Note").fill("behind the shelf")
    tab.get_by_role("button", name="Save adjustment").click()

    expect(tab).to_have_url(re.compile(r"/products/KIT-KET-GOO/$"))
    expect(tab.get_by_role("status")).to_contain_text("on hand now 12")
    expect(tab.locator("#fig-on-hand")).to_have_text("12")
    movements = tab.locator("#movements tbody tr")
    expect(movements).to_have_count(2)
    newest = movements.first
    for text in ("A-01", "Found", "+5", "12", "wendy", "behind the shelf"):
        expect(newest).to_contain_text(text)
    assert product_with_stock("KIT-KET-GOO").on_hand == 12


def test_an_impossible_adjustment_is_explained_next_to_the_quantity(tab, live_server, shop):
    from playwright.sync_api import expect

    log_in(tab, live_server)
    tab.goto(f"{live_server.url}/stock/adjust/?sku=KIT-FRN-3")
    tab.get_by_label("Quantity (+/-)").fill("-20")
    tab.get_by_label("Reason").select_option("lost")
    tab.get_by_role("button", name="Save adjustment").click()

    quantity = tab.locator("label.invalid", has=tab.locator("input[name=quantity]"))
    expect(quantity.get_by_role("alert")).to_have_text(
        "KIT-FRN-3 at A-01 has 12 on hand, 0 allocated: cannot remove 20")
    expect(tab.get_by_label("Quantity (+/-)")).to_have_value("-20")
    expect(tab.get_by_label("Reason")).to_have_value("lost")
    assert product_with_stock("KIT-FRN-3").on_hand == 12


def test_a_token_is_created_shown_once_and_revoked(tab, live_server, shop):
    from playwright.sync_api import expect

    log_in(tab, live_server)
    tab.get_by_role("link", name="API tokens").click()
    tab.get_by_label("What is it for?").fill("shop sync")
    tab.get_by_role("button", name="Create token").click()
    token = tab.locator("#new-token").inner_text()
    assert token.startswith("fr_")
    row = tab.locator("#tokens tbody tr").first
    expect(row).to_contain_text("shop sync")
    expect(row).to_contain_text("active")

    tab.on("dialog", lambda dialog: dialog.accept())
    row.get_by_role("button", name="Revoke").click()
    expect(tab.get_by_role("status")).to_contain_text("revoked")
    expect(tab.locator("#tokens tbody tr").first).to_contain_text("revoked")
    expect(tab.locator("#new-token")).to_have_count(0)
    assert token not in tab.content()


PHONE_PAGES = ["/products/", "/products/KIT-FRN-3/", "/customers/", "/customers/C-BEAN/",
               "/stock/adjust/?sku=KIT-FRN-3", "/account/tokens/"]


def test_pages_fit_a_phone_screen(open_tab, live_server, shop):
    from playwright.sync_api import expect

    tab = open_tab(PHONE)
    log_in(tab, live_server)
    too_wide = {}
    for path in PHONE_PAGES:
        tab.goto(f"{live_server.url}{path}")
        expect(tab.get_by_role("navigation", name="Sections")).to_be_visible()
        overflow = tab.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        if overflow > 0:
            too_wide[path] = overflow
    assert too_wide == {}, "pages that scroll sideways at 390px (path: pixels)"

"""The customer's choice link in a real browser: staff copy the link from
`GET /backorders/{n}/choice-link`, the customer opens it (no login) and
chooses "ship what is ready now"; the staff page shows the fulfillment and
the logged choice. An expired link shows the expired page."""

from __future__ import annotations

import json
import re
import urllib.request
from datetime import timedelta
from unittest import mock

import pytest
from django.core import signing

from fillrate.accounts.permissions import Role
from fillrate.accounts.services import add_user, issue_token
from fillrate.comms.links import choice_url
from fillrate.core.business import change_settings
from fillrate.orders.services import LineInput
from fillrate.workflows.adjust_stock import adjust_stock_and_feed
from fillrate.workflows.invariants import all_problems
from fillrate.workflows.place_order import place_order
from tests.factories import CustomerFactory, LocationFactory, ProductFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct-horse-9"


@pytest.fixture
def waiting(db, settings, live_server):
    """Partial shipments off; 5 kettles ordered, 3 in stock (held for the
    order), 2 on backorder of which 1 arrived since and is held for it."""
    settings.PUBLIC_URL = live_server.url
    add_user(username="sam", role=Role.SUPERVISOR, password=PASSWORD)
    change_settings(changes={"partial_shipments": False, "shop_name": "Bean Supplies",
                             "contact_email": "help@bean.test"})
    pick = LocationFactory(code="A-01", kind="pick", pick_sequence=10)
    kettle = ProductFactory(sku="KIT-KET-GOO", name="Gooseneck Kettle")
    adjust_stock_and_feed(product_id=kettle.id, location_id=pick.id, quantity=3,
                          reason="count")
    CustomerFactory(code="C-BEAN", name="Bean There Coffee")
    placed = place_order(customer="C-BEAN", lines=[LineInput(kettle.sku, 5)])
    adjust_stock_and_feed(product_id=kettle.id, location_id=pick.id, quantity=1,
                          reason="found")
    return placed.backorders[0].number


def api_get(live_server, path: str) -> dict:
    token = issue_token(username="sam").token
    request = urllib.request.Request(f"{live_server.url}/api/v1{path}",
                                     headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request) as response:
        return json.loads(response.read())


def test_the_customer_ships_what_is_ready_and_staff_see_it(open_tab, live_server, waiting):
    from playwright.sync_api import expect

    link = api_get(live_server, f"/backorders/{waiting}/choice-link")["url"]
    assert link.startswith(live_server.url + "/choice/")

    customer = open_tab()
    customer.goto(link)
    expect(customer.get_by_role("heading", name=f"Your backorder {waiting}")).to_be_visible()
    expect(customer.locator("#choice-lines")).to_contain_text("Gooseneck Kettle")
    customer.get_by_label(re.compile("Ship what is ready now")).check()
    customer.get_by_role("button", name="Send my choice").click()
    expect(customer.get_by_test_id("choice-done")).to_contain_text("Ship what is ready now")
    customer.goto(link)  # single use
    expect(customer.get_by_test_id("choice-problem")).to_have_text(
        "This link has already been used")
    expect(customer.get_by_test_id("shop-contact")).to_contain_text("help@bean.test")

    staff = open_tab()
    staff.goto(f"{live_server.url}/login/?next=/backorders/{waiting}/")
    staff.get_by_label("User name").fill("sam")
    staff.get_by_label("Password").fill(PASSWORD)
    staff.get_by_role("button", name="Log in").click()
    expect(staff).to_have_url(re.compile(f"/backorders/{waiting}/$"))
    fulfilment = staff.locator("#bo-fulfilment")
    expect(fulfilment).to_contain_text("FF-")
    expect(fulfilment.locator("tbody tr")).to_have_count(1)
    comms = staff.locator("#communications")
    expect(comms).to_contain_text("The customer chose to ship what is ready now")
    expect(comms).to_contain_text("Ship what is ready now")
    assert all_problems() == []


def test_an_expired_link_shows_the_expired_page(open_tab, live_server, waiting):
    from playwright.sync_api import expect

    sent = signing.time.time() - timedelta(days=15).total_seconds()
    with mock.patch("django.core.signing.time.time", return_value=sent):
        old_link = choice_url(int(waiting.split("-")[1]))
    page = open_tab()
    page.goto(old_link)
    expect(page.get_by_test_id("choice-problem")).to_have_text("This link has expired")
    expect(page.get_by_test_id("shop-contact")).to_contain_text("Bean Supplies")
    expect(page.locator("body")).not_to_contain_text(waiting)


def test_the_choice_page_fits_a_phone(open_tab, live_server, waiting):
    from playwright.sync_api import expect

    from tests.browser.conftest import PHONE

    page = open_tab(PHONE)
    page.goto(choice_url(int(waiting.split("-")[1])))
    expect(page.get_by_role("button", name="Send my choice")).to_be_visible()
    widths = page.evaluate("[document.documentElement.scrollWidth,"
                           " document.documentElement.clientWidth]")
    assert widths[0] <= widths[1], f"{widths[0]}px wide in a {widths[1]}px screen"

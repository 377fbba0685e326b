"""From the email to the choice, in a real browser: a backorder is created,
the worker delivers its email to a local SMTP server, the test opens the
"ship what is ready now" link from the email, and the staff page shows the
fulfillment, the logged choice and the email. A link in an email sent more
than 14 days ago shows the expired page."""

from __future__ import annotations

import datetime as dt
import re
from unittest import mock

import pytest
from django.core import signing

from fillrate.accounts.permissions import Role
from fillrate.accounts.services import add_user
from fillrate.comms.queue import Retry
from fillrate.comms.worker import Options, run
from fillrate.core.business import change_settings
from fillrate.orders.services import LineInput
from fillrate.workflows.adjust_stock import adjust_stock_and_feed
from fillrate.workflows.invariants import all_problems
from fillrate.workflows.place_order import place_order
from tests.comms.conftest import smtp  # noqa: F401
from tests.factories import CustomerFactory, LocationFactory, ProductFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct-horse-9"
NOW = Options(batch=20, retry=Retry(max_attempts=2, base=dt.timedelta(0)))


@pytest.fixture
def emailed(db, settings, live_server, smtp):  # noqa: F811
    """Partial shipments off; 5 kettles ordered with 3 in stock, so 2 wait
    on a backorder, 1 of which has arrived since. Returns (backorder, the
    "ship what is ready now" link from the email)."""
    settings.PUBLIC_URL = live_server.url
    add_user(username="sam", role=Role.SUPERVISOR, password=PASSWORD)
    change_settings(changes={"partial_shipments": False})
    pick = LocationFactory(code="A-01", kind="pick", pick_sequence=10)
    kettle = ProductFactory(sku="KIT-KET-GOO", name="Gooseneck Kettle")
    adjust_stock_and_feed(product_id=kettle.id, location_id=pick.id, quantity=3,
                          reason="count")
    CustomerFactory(code="C-BEAN", name="Bean There Coffee", email="orders@bean.test")
    placed = place_order(customer="C-BEAN", lines=[LineInput(kettle.sku, 5)])
    adjust_stock_and_feed(product_id=kettle.id, location_id=pick.id, quantity=1,
                          reason="found")

    def deliver():
        run(NOW, once=True, weekly=False)
        [message] = [m for m in smtp.to("orders@bean.test") if "backorder" in m["Subject"]]
        text = smtp.text(message)
        assert "2 x Gooseneck Kettle [KIT-KET-GOO]" in text
        return re.search(r"Ship what is ready now:\s+(\S+)", text).group(1)

    return placed.backorders[0].number, deliver


def test_the_link_in_the_email_ships_what_is_ready(open_tab, live_server, emailed):
    from playwright.sync_api import expect

    number, deliver = emailed
    link = deliver()
    assert link.startswith(live_server.url + "/choice/") and link.endswith("?option=partial")

    customer = open_tab()
    customer.goto(link)
    expect(customer.get_by_role("heading", name=f"Your backorder {number}")).to_be_visible()
    expect(customer.get_by_label(re.compile("Ship what is ready now"))).to_be_checked()
    customer.get_by_role("button", name="Send my choice").click()
    expect(customer.get_by_test_id("choice-done")).to_contain_text("Ship what is ready now")

    staff = open_tab()
    staff.goto(f"{live_server.url}/login/?next=/backorders/{number}/")
    staff.get_by_label("User name").fill("sam")
    staff.get_by_label("Password").fill(PASSWORD)
    staff.get_by_role("button", name="Log in").click()
    expect(staff).to_have_url(re.compile(f"/backorders/{number}/$"))
    expect(staff.locator("#bo-fulfilment")).to_contain_text("FF-")
    comms = staff.locator("#communications")
    expect(comms).to_contain_text("The customer chose to ship what is ready now")
    expect(comms).to_contain_text("orders@bean.test")  # the email, logged with its delivery
    expect(comms).to_contain_text("delivery: sent")
    assert all_problems() == []


def test_a_link_from_an_email_older_than_14_days_shows_the_expired_page(
        open_tab, live_server, emailed):
    from playwright.sync_api import expect

    number, deliver = emailed
    sent = signing.time.time() - dt.timedelta(days=15).total_seconds()
    with mock.patch("django.core.signing.time.time", return_value=sent):
        link = deliver()
    page = open_tab()
    page.goto(link)
    expect(page.get_by_test_id("choice-problem")).to_have_text("This link has expired")
    expect(page.locator("body")).not_to_contain_text(number)

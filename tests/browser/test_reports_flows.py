"""The dashboard and the max-age review in a real browser."""

from __future__ import annotations

import re

import pytest

from fillrate.accounts.permissions import Role
from fillrate.accounts.services import add_user
from fillrate.backorders.models import Backorder
from tests.reports.conftest import (  # noqa: F401
    at_now,
    invariants_hold_after_each_test,
    scenario,
    store,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct-horse-9"


def log_in(tab, live_server, username):
    from playwright.sync_api import expect

    tab.goto(f"{live_server.url}/")
    tab.get_by_label("User name").fill(username)
    tab.get_by_label("Password").fill(PASSWORD)
    tab.get_by_role("button", name="Log in").click()
    expect(tab.get_by_role("heading", name=re.compile("^Dashboard"))).to_be_visible()


def test_a_supervisor_lands_on_the_dashboard_and_follows_a_figure(
        tab, live_server, scenario, at_now):  # noqa: F811
    from playwright.sync_api import expect

    add_user(username="sam", role=Role.SUPERVISOR, password=PASSWORD)
    log_in(tab, live_server, "sam")
    expect(tab).to_have_url(re.compile(r"/dashboard/$"))
    expect(tab.locator("#fig-open")).to_contain_text("3")
    expect(tab.locator("#fig-open")).to_contain_text("9 units · 39.00")
    # The charts are inline SVG with an accessible name, beside their tables.
    expect(tab.get_by_role("img", name="Open backorders by age")).to_be_visible()
    expect(tab.locator("#aging-table")).to_contain_text("31+ days")
    # The 31+ count opens the backorder list it counts.
    tab.locator('#aging-table tr[data-bucket="31_plus"] td.num a').click()
    expect(tab).to_have_url(re.compile(r"/backorders/\?age=31_plus$"))
    rows = tab.locator("table.backorders tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(scenario.b6.number)


def test_the_max_age_review_cancels_for_excessive_delay(
        tab, live_server, scenario, at_now):  # noqa: F811
    from playwright.sync_api import expect

    add_user(username="sam", role=Role.SUPERVISOR, password=PASSWORD)
    log_in(tab, live_server, "sam")
    tab.goto(f"{live_server.url}/reports/max-age/")
    row = tab.locator(f"#review-{scenario.b6.number}")
    expect(row).to_contain_text("5 units, first 2026-12-16")
    tab.once("dialog", lambda dialog: dialog.accept())
    row.get_by_role("button", name="Cancel: excessive delay").click()
    expect(tab.get_by_role("status")).to_contain_text("cancelled for excessive delay")
    expect(tab.locator("#max-age-review")).to_contain_text("No backorder is older than 30 days")
    b6 = Backorder.objects.get(id=scenario.b6.id)
    assert (b6.status, b6.cancel_reason) == ("cancelled", "excessive_delay")


def test_reorder_suggestions_make_a_draft_purchase_order(
        tab, live_server, scenario, at_now):  # noqa: F811
    from playwright.sync_api import expect

    from fillrate.purchasing.models import PurchaseOrder
    from fillrate.purchasing.reorder import set_reorder_point

    set_reorder_point(sku="WIDGET", reorder_point=30, supplier="SUP-1")
    add_user(username="sam", role=Role.SUPERVISOR, password=PASSWORD)
    log_in(tab, live_server, "sam")
    tab.get_by_role("link", name="Reorder", exact=True).click()
    row = tab.locator('tr[data-sku="WIDGET"]')
    expect(row).to_contain_text("19")
    row.get_by_label("Units of WIDGET").fill("24")
    tab.get_by_role("button", name="Create draft purchase orders").click()
    expect(tab.get_by_role("status")).to_contain_text("Draft purchase orders created")
    po = PurchaseOrder.objects.get(status="draft")
    assert (po.supplier.code, po.lines.get().product.sku, po.lines.get().quantity) == (
        "SUP-1", "WIDGET", 24)
    tab.goto(f"{live_server.url}/purchase-orders/{po.number}/")
    expect(tab.get_by_role("heading", name=re.compile(po.number))).to_be_visible()

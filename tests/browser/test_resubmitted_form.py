"""A resubmitted form is a replay: save a receipt, go Back, save again."""

from __future__ import annotations

import re

import pytest

from fillrate.purchasing.models import Receipt
from fillrate.web.form_keys import ALREADY_SAVED
from fillrate.workflows.invariants import all_problems
from tests.browser.test_purchasing_flows import log_in, scene  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_back_and_save_again_books_no_second_receipt(tab, live_server, scene):  # noqa: F811
    from playwright.sync_api import expect

    po = scene["po"]
    log_in(tab, live_server, f"/purchase-orders/{po}/receive/")
    tab.get_by_label("Units of GASKET received").fill("3")
    tab.get_by_role("button", name="Save receipt").click()
    expect(tab).to_have_url(re.compile(rf"/purchase-orders/{po}/receipts/RC-\d+/$"))
    receipt_url = tab.url
    assert Receipt.objects.count() == 1

    tab.go_back()  # the browser fetches the form again and puts back what it held
    expect(tab).to_have_url(re.compile(rf"/purchase-orders/{po}/receive/$"))
    expect(tab.get_by_label("Units of GASKET received")).to_have_value("3")
    tab.get_by_role("button", name="Save receipt").click()
    expect(tab).to_have_url(receipt_url)
    expect(tab.locator(".flash")).to_contain_text(ALREADY_SAVED)
    assert Receipt.objects.count() == 1
    assert all_problems() == []

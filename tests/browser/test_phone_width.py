"""Pages people use on the warehouse floor fit a phone: no sideways scroll."""

from __future__ import annotations

import pytest

from tests.browser.test_fulfilment_flows import backorder, log_in  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE_375 = {"width": 375, "height": 812}


@pytest.mark.parametrize("path", ["/fulfil/", "/fulfillments/", "/backorders/", "order"])
def test_no_sideways_scroll_at_phone_width(open_tab, live_server, backorder,  # noqa: F811
                                           path):
    from playwright.sync_api import expect

    tab = open_tab(PHONE_375)
    log_in(tab, live_server)
    if path == "order":
        path = f"/orders/{backorder.order.number}/"
    tab.goto(f"{live_server.url}{path}")
    if path == "/fulfil/":
        expect(tab.locator(f"#ff-{backorder.number}")).to_be_visible()
    widths = tab.evaluate("[document.documentElement.scrollWidth,"
                          " document.documentElement.clientWidth]")
    assert widths[0] <= widths[1], f"{path}: {widths[0]}px wide in a {widths[1]}px screen"

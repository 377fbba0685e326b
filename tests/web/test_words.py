"""Pages say words, not the names in the code."""

from __future__ import annotations

import re

import pytest

from fillrate.backorders.services import cancel_backorder
from fillrate.orders.services import LineInput
from fillrate.web.words import plain_message, words
from fillrate.workflows.place_order import place_order
from tests.factories import CustomerFactory, LocationFactory, ProductFactory

RAW = re.compile(r"\b[a-z]+_[a-z_]+\b|\b[A-Z][a-z]+(?:[A-Z][a-z]+)+\b")


@pytest.mark.parametrize(("name", "said"), [
    ("awaiting_backorder", "Awaiting backorder"),
    ("partially_fulfilled", "Partially fulfilled"),
    ("ready", "Ready to fulfil"),
    ("BackorderLinesCancelled", "Backorder lines cancelled"),
    ("OrderPlaced", "Order placed"),
    ("ApiTokenIssued", "API token issued"),
    ("customer_requested", "Customer requested"),
    ("expected_date", "Expected date"),
    ("sku", "SKU"),
    ("high", "High"),
    ("2026-12-01", "2026-12-01"),
    ("call me on Tuesday", "call me on Tuesday"),
    (None, ""),
])
def test_words(name, said):
    assert words(name) == said


def test_plain_message():
    assert plain_message("max_backorder_age_days must be a whole number from 1 to 3650") == \
        "Maximum backorder age (days) must be a whole number from 1 to 3650"
    assert plain_message("the order is awaiting_backorder") == \
        "the order is awaiting backorder"
    assert plain_message("nothing to say") == "nothing to say"
    assert plain_message("no product with SKU 'old_stock_1' (status on_hold)") == \
        "no product with SKU 'old_stock_1' (status on hold)"


def visible(html: str) -> str:
    """The text a person reads: no tags, no attributes."""
    return re.sub(r"<[^>]+>", " ", html)


def test_order_and_backorder_pages_show_no_raw_names(admin_web):
    LocationFactory(code="A-01", kind="pick")
    ProductFactory(sku="WIDGET")
    CustomerFactory(code="C-ONE")
    placed = place_order(customer="C-ONE", lines=[LineInput("WIDGET", 3)])
    backorder = placed.backorders[0]
    order_page = visible(admin_web.get(f"/orders/{placed.order.number}/").content.decode())
    assert "Awaiting backorder" in order_page
    cancel_backorder(number=backorder.number, reason="customer_requested", notes="went elsewhere")
    for url in (f"/backorders/{backorder.number}/", f"/orders/{placed.order.number}/",
                "/products/WIDGET/", "/customers/C-ONE/"):
        text = visible(admin_web.get(url).content.decode())
        assert not RAW.findall(text), (url, RAW.findall(text))
    text = visible(admin_web.get(f"/backorders/{backorder.number}/").content.decode())
    assert "Backorder cancelled" in text and "Customer requested" in text
    assert "Backorder opened" in text

"""Money on pages: the `currency` setting's symbol, separators, two places;
CSV and the API keep plain decimals."""

from __future__ import annotations

from decimal import Decimal

import pytest

from fillrate.core.business import business_settings, change_settings
from fillrate.web.money import format_money
from tests.factories import ProductFactory
from tests.helpers import db_state


@pytest.mark.parametrize(("amount", "currency", "text"), [
    (Decimal("1234.5"), "USD", "$1,234.50"),
    (Decimal("0"), "USD", "$0.00"),
    (Decimal("1234567.891"), "EUR", "€1,234,567.89"),
    (Decimal("-12.5"), "GBP", "-£12.50"),
    (Decimal("99"), "AUD", "A$99.00"),
    (Decimal("99"), "CAD", "C$99.00"),
    (Decimal("99"), "NZD", "NZ$99.00"),
    (Decimal("1500"), "CHF", "1,500.00 CHF"),
    ("12.345", "USD", "$12.35"),
    (None, "USD", "—"),
])
def test_format_money(amount, currency, text):
    assert format_money(amount, currency) == text


def test_pages_show_amounts_in_the_currency_setting(admin_web):
    product = ProductFactory(sku="BIG-1", list_price=Decimal("12345.60"))
    assert business_settings().currency == "USD"
    assert "$12,345.60" in admin_web.get(f"/products/{product.sku}/").content.decode()
    assert "$12,345.60" in admin_web.get("/products/").content.decode()
    change_settings(changes={"currency": "EUR"})
    page = admin_web.get(f"/products/{product.sku}/").content.decode()
    assert "€12,345.60" in page and "$12,345.60" not in page


def test_the_settings_page_changes_the_currency(admin_web):
    page = admin_web.get("/settings/").content.decode()
    assert 'name="currency" value="USD"' in page
    form = {"oversell_policy": "backorder", "allocation_policy": "fifo",
            "partial_shipments": "on", "charge_backorders_on_shipment": "on",
            "max_backorder_age_days": "30", "notify_customers": "on", "currency": "gbp"}
    assert admin_web.post("/settings/", form).status_code == 302
    assert business_settings().currency == "GBP"
    before = db_state()
    body = admin_web.post("/settings/", {**form, "currency": "pounds"}).content.decode()
    assert "three-letter ISO 4217 code" in body and 'role="alert"' in body
    assert db_state() == before and business_settings().currency == "GBP"


def test_the_api_keeps_plain_decimals(api):
    ProductFactory(sku="BIG-1", list_price=Decimal("12345.60"))
    change_settings(changes={"currency": "EUR"})
    body = api.get("/api/v1/products/BIG-1").json()
    assert body["list_price"] in ("12345.60", 12345.6)


def test_the_backorder_page_shows_its_value_as_money(admin_web):
    from fillrate.orders.services import LineInput
    from fillrate.workflows.place_order import place_order
    from tests.factories import CustomerFactory, LocationFactory

    LocationFactory(code="A-01", kind="pick")
    ProductFactory(sku="BIG-1", list_price=Decimal("1250.00"))
    CustomerFactory(code="C-ONE")
    backorder = place_order(customer="C-ONE", lines=[LineInput("BIG-1", 2)]).backorders[0]
    page = admin_web.get(f"/backorders/{backorder.number}/").content.decode()
    assert "value $2,500.00" in page and "<strong>$2,500.00</strong>" in page
    assert "$1,250.00" in page

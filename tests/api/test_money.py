"""Money in every answer is a decimal string with two places; money in a
request is a plain decimal."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from fillrate.api.schemas import money_text
from fillrate.catalog.models import Product
from tests.api_surface import OPERATIONS, build_world, url_for
from tests.helpers import assert_error, db_state

API = "/api/v1"
MONEY_KEYS = {"list_price", "unit_price", "unit_cost", "total", "backordered_value",
              "amount_paid", "amount_due", "rate", "amount", "value"}
TWO_PLACES = re.compile(r"-?\d+\.\d\d\Z")


@pytest.mark.parametrize(("value", "text"), [
    (Decimal("1E+3"), "1000.00"), (Decimal("1000"), "1000.00"), (Decimal("0"), "0.00"),
    (0, "0.00"), (Decimal("12.5"), "12.50"), (Decimal("-3.456"), "-3.46"),
    (Decimal("0E-10"), "0.00"), ("7", "7.00"),
])
def test_money_text(value, text):
    assert money_text(value) == text


def _money_values(body, where="") -> list[tuple[str, object]]:
    found = []
    if isinstance(body, dict):
        for key, value in body.items():
            if key in MONEY_KEYS and not isinstance(value, dict | list) and value is not None:
                found.append((f"{where}.{key}", value))
            else:
                found += _money_values(value, f"{where}.{key}")
    elif isinstance(body, list):
        for i, value in enumerate(body):
            found += _money_values(value, f"{where}[{i}]")
    return found


def test_every_answer_carries_money_as_a_two_place_string(api, stock):
    world = build_world(stock)
    Product.objects.filter(sku=world.sku).update(list_price=Decimal("1E+3"))
    Product.objects.filter(sku="WORLD-SHORT").update(list_price=Decimal("0"))
    placed = api.post(f"{API}/orders", {"customer": world.customer,
                                        "lines": [{"sku": world.sku, "quantity": 1},
                                                  {"sku": "WORLD-SHORT", "quantity": 1}]})
    assert placed.status_code == 201
    answers = [("POST /orders", placed.json())]
    for op in OPERATIONS:
        if op.method == "GET":
            response = api.get(url_for(op, world))
            if response["Content-Type"].startswith("application/json"):
                answers.append((op.id, response.json()))
    paid = api.post(f"{API}/orders/{world.order}/payments", {"amount": "1.5"})
    assert paid.status_code == 201, paid.content
    answers.append(("POST /orders/{number}/payments", paid.json()))
    bad = [(op, where, value) for op, body in answers for where, value in _money_values(body)
           if not (isinstance(value, str) and TWO_PLACES.match(value))]
    assert bad == []
    seen = {op for op, body in answers if _money_values(body)}
    assert {"POST /orders", "GET /orders/{number}", "GET /products", "GET /products/{sku}",
            "GET /invoices", "GET /invoices/{number}", "GET /backorders/{number}",
            "GET /reports/backorder-aging", "POST /orders/{number}/payments"} <= seen
    product = api.get(f"{API}/products/{world.sku}").json()
    assert product["list_price"] == "1000.00"
    line = next(x for x in placed.json()["lines"] if x["sku"] == "WORLD-SHORT")
    assert line["unit_price"] == "0.00"
    assert paid.json()["amount_paid"] == "1.50"


@pytest.mark.parametrize("price", ["1e3", "1E+3", "NaN", "Infinity", "-inf", "12,50",
                                   "0x10", "1_000", 3, 12.5, True])
def test_money_in_a_request_is_a_plain_decimal(api, price):
    before = db_state()
    assert_error(api.post(f"{API}/products", {"sku": "M-1", "name": "M", "list_price": price}),
                 422, "request.invalid", field="list_price")
    assert db_state() == before


def test_a_plain_decimal_is_taken_as_money(api, stock):
    for sku, price, shown in (("M-1", "12.5", "12.50"), ("M-2", "3", "3.00"),
                              ("M-3", " 7.25 ", "7.25"), ("M-4", ".5", "0.50")):
        created = api.post(f"{API}/products", {"sku": sku, "name": "M", "list_price": price})
        assert created.status_code == 201, created.content
        assert created.json()["list_price"] == shown
    product = stock(quantity=5)
    before = db_state()
    assert_error(api.post(f"{API}/orders", {"customer": "NOPE", "lines": [
        {"sku": product.sku, "quantity": 1, "unit_price": "2e1"}]}),
        422, "request.invalid", field="lines[0].unit_price")
    assert db_state() == before

"""SKUs are found whatever the case they are typed in, everywhere; the
stored spelling is the one shown."""

from __future__ import annotations

import pytest

from fillrate.catalog.selectors import product_by_sku, stored_skus
from fillrate.orders.models import OrderLine
from fillrate.purchasing.services import create_supplier
from fillrate.workflows.invariants import all_problems
from tests.factories import CustomerFactory, LocationFactory, ProductFactory
from tests.helpers import assert_error, db_state

API = "/api/v1"


@pytest.fixture
def world(db, stock):
    stock(quantity=3, sku="ABC-1", name="Thing")
    ProductFactory(sku="Mixed-Case", name="Other")
    create_supplier(code="SUP", name="Supplier")
    LocationFactory(code="RECV", kind="receiving", pick_sequence=900)
    return CustomerFactory(code="C-1")


def test_selectors_match_any_case(world):
    assert product_by_sku(" abc-1 ").sku == "ABC-1"
    assert stored_skus(["abc-1", "MIXED-case", "nope"]) == {"ABC-1": "ABC-1",
                                                            "MIXED-CASE": "Mixed-Case"}


def test_get_product_any_case(api, world):
    for typed in ("abc-1", "Abc-1", "ABC-1"):
        response = api.get(f"{API}/products/{typed}")
        assert response.status_code == 200 and response.json()["sku"] == "ABC-1"


def test_ordering_in_another_case_orders_the_stored_sku(api, world):
    response = api.post(f"{API}/orders", {"customer": "C-1", "lines": [
        {"sku": "abc-1", "quantity": 5}, {"sku": "mixed-case", "quantity": 1}]})
    assert response.status_code == 201, response.content
    body = response.json()
    assert [(x["sku"], x["allocated"], x["backordered"]) for x in body["lines"]] == [
        ("ABC-1", 3, 2), ("Mixed-Case", 0, 1)]
    assert len(body["backorders"]) == 1
    assert all_problems() == []


def test_ordering_an_unknown_sku_is_still_404_and_changes_nothing(api, world):
    before = db_state()
    assert_error(api.post(f"{API}/orders", {"customer": "C-1", "lines": [
        {"sku": "abc-1", "quantity": 1}, {"sku": "nope", "quantity": 1}]}),
        404, "catalog.unknown_sku", "lines[1].sku")
    assert db_state() == before


def test_the_same_sku_twice_in_two_cases_is_refused(api, world):
    assert_error(api.post(f"{API}/orders", {"customer": "C-1", "lines": [
        {"sku": "abc-1", "quantity": 1}, {"sku": "ABC-1", "quantity": 1}]}),
        422, "orders.duplicate_sku", "lines[1].sku")


def test_purchase_orders_receipts_and_filters_any_case(api, world):
    api.post(f"{API}/orders", {"customer": "C-1", "lines": [{"sku": "abc-1", "quantity": 5}]})
    response = api.post(f"{API}/purchase-orders", {"supplier": "SUP", "lines": [
        {"sku": "abc-1", "quantity": 4}]})
    assert response.status_code == 201, response.content
    number = response.json()["number"]
    assert response.json()["lines"][0]["sku"] == "ABC-1"
    response = api.post(f"{API}/purchase-orders/{number}/receipts",
                        {"lines": [{"sku": "aBc-1", "quantity": 4}], "location": "RECV"})
    assert response.status_code == 201, response.content
    assert sum(x["quantity"] for x in response.json()["allocations"]) == 2
    for path in ("/backorders", "/purchase-orders", "/stock/movements"):
        response = api.get(f"{API}{path}", {"sku": "abc-1"})
        assert response.status_code == 200 and response.json()["count"] >= 1, path
    assert all_problems() == []


def test_stock_adjustment_any_case(api, world):
    response = api.post(f"{API}/stock/adjustments", {"sku": "abc-1", "quantity": 2,
                                                     "reason": "found"})
    assert response.status_code == 201 and response.json()["sku"] == "ABC-1"


def test_the_order_entry_page_places_lowercase_skus(world, login):
    client = login()
    response = client.post("/orders/new/", {"customer": "C-1", "key": ["a"], "sku": ["abc-1"],
                                            "quantity": ["2"], "unit_price": [""]})
    assert response.status_code == 302, response.content.decode()[:2000]
    assert OrderLine.objects.get().product.sku == "ABC-1"


def test_cancelling_part_of_a_backorder_names_its_sku_in_any_case(api, world):
    body = api.post(f"{API}/orders", {"customer": "C-1", "lines": [
        {"sku": "ABC-1", "quantity": 5}, {"sku": "Mixed-Case", "quantity": 2}]}).json()
    number = body["backorders"][0]["number"]
    response = api.post(f"{API}/backorders/{number}/cancel", {
        "reason": "customer_requested", "lines": [{"sku": "mixed-CASE", "quantity": 1}]})
    assert response.status_code == 200, response.content
    assert {x["sku"]: x["cancelled"] for x in response.json()["lines"]} == {
        "ABC-1": 0, "Mixed-Case": 1}

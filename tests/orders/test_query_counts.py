"""The hot paths count their statements: placing an order costs the same
whatever its number of lines, and list pages cost the same whatever their
number of rows (no query per row)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from fillrate.orders.services import LineInput
from fillrate.workflows.place_order import place_order
from tests.factories import CustomerFactory, ProductFactory

pytestmark = pytest.mark.django_db


def statements(fn) -> int:
    with CaptureQueriesContext(connection) as ctx:
        fn()
    return len([q for q in ctx.captured_queries
                if not q["sql"].upper().startswith(("SAVEPOINT", "RELEASE"))])


def products(stock, n: int, prefix: str) -> list[str]:
    return [stock(ProductFactory(sku=f"{prefix}-{i}"), 100).sku for i in range(n)]


def test_placing_an_order_costs_the_same_for_one_line_or_twelve(stock, store):
    one, twelve = products(stock, 1, "ONE"), products(stock, 12, "TWELVE")
    # with a short line each, so both open a backorder
    count_one = statements(lambda: place_order(
        customer="C-ACME", lines=[LineInput(one[0], 1), LineInput("BOLT", 2)]))
    count_twelve = statements(lambda: place_order(
        customer="C-ACME", lines=[LineInput(s, 3) for s in twelve] + [LineInput("BOLT", 2)]))
    assert count_one == count_twelve
    if connection.vendor == "postgresql":  # the write batch is one statement there
        assert count_twelve <= 6


def page_statements(api, path: str) -> int:
    def get():
        assert api.get(path).status_code == 200
    return statements(get)


@pytest.mark.parametrize("path", ["/api/v1/orders?limit=50", "/api/v1/backorders?limit=50",
                                  "/api/v1/products?limit=50", "/api/v1/customers?limit=50"])
def test_api_lists_cost_the_same_for_two_rows_or_twenty(api, stock, store, path):
    skus = products(stock, 3, "LIST")

    def place(n):
        for i in range(n):
            CustomerFactory(code=f"C-L{n}-{i}")
            place_order(customer=f"C-L{n}-{i}", lines=[LineInput(skus[i % 3], 1),
                                                       LineInput("BOLT", 1)])

    place(2)
    few = page_statements(api, path)
    place(18)
    many = page_statements(api, path)
    assert few == many, f"{path}: {few} statements for few rows, {many} for many"


@pytest.mark.parametrize("path", ["/orders/", "/backorders/", "/products/", "/customers/"])
def test_web_lists_cost_the_same_for_two_rows_or_twenty(client, stock, store, path):
    from fillrate.accounts.services import add_user

    client.force_login(add_user(username="lister", role="administrator", password="pw-123456"))
    skus = products(stock, 3, "WEB")

    def place(n):
        for i in range(n):
            CustomerFactory(code=f"C-W{n}-{i}")
            place_order(customer=f"C-W{n}-{i}", lines=[LineInput(skus[i % 3], 1),
                                                       LineInput("BOLT", 1)])

    place(2)
    def get():
        assert client.get(path).status_code == 200

    few = statements(get)
    place(18)
    many = statements(get)
    assert few == many, f"{path}: {few} statements for few rows, {many} for many"

"""The purchasing lists cost the same number of statements for 2 rows or 20."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from fillrate.purchasing.services import create_supplier
from fillrate.workflows.receive import ReceiptLineInput, receive_purchase_order
from tests.web_purchasing.conftest import buy

pytestmark = pytest.mark.django_db


def statements(client, path: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(path).status_code == 200
    return len(ctx)


def add_purchase_orders(n: int) -> None:
    for i in range(n):
        number = buy(("WIDGET", 5 + i), ("GADGET", 2))
        if i % 2:
            receive_purchase_order(number=number, lines=[ReceiptLineInput("GADGET", 1)])


def add_suppliers(n: int) -> None:
    start = 100 + len(str(n)) * 100
    for i in range(n):
        create_supplier(code=f"SUP-{start + i}", name=f"Supplier {i}", lead_time_days=i)


@pytest.mark.parametrize(("path", "add"), [
    ("/purchase-orders/", add_purchase_orders),
    ("/purchase-orders/?sku=WIDGET&supplier=ACME-SUP", add_purchase_orders),
    ("/suppliers/", add_suppliers),
])
def test_lists_cost_the_same_for_two_rows_or_twenty(admin_web, buying, path, add):
    add(2)
    few = statements(admin_web, path)
    add(18)
    many = statements(admin_web, path)
    assert few == many, f"{path}: {few} statements for few rows, {many} for many"

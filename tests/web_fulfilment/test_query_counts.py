"""The fulfilment list pages cost the same number of statements for 2 rows
or 20 (no query per row)."""

from __future__ import annotations

import pytest

from fillrate.orders.services import LineInput
from fillrate.workflows.adjust_stock import adjust_stock_and_feed
from fillrate.workflows.dispatch import dispatch_fulfillment
from fillrate.workflows.fulfil import fulfil_backorder
from fillrate.workflows.place_order import place_order
from tests.factories import CustomerFactory
from tests.orders.test_query_counts import statements

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path", ["/fulfil/", "/fulfillments/", "/invoices/"])
def test_lists_cost_the_same_for_two_rows_or_twenty(admin_web, shop, path):
    made = 0

    def add(n: int) -> None:
        nonlocal made
        numbers = []
        for _ in range(n):
            made += 1
            CustomerFactory(code=f"C-Q{made}")
            placed = place_order(customer=f"C-Q{made}",
                                 lines=[LineInput("COF-ESP-1KG", 2), LineInput("KIT-FRN-3", 1)])
            numbers.append(placed.backorders[0].number)
        adjust_stock_and_feed(product_id=shop.beans.id, quantity=2 * n, reason="found")
        if path == "/fulfil/":
            return
        for number in numbers:
            fulfillment = fulfil_backorder(number=number)
            if path == "/invoices/" or made % 2:
                dispatch_fulfillment(number=fulfillment.number, carrier="DHL")

    def get():
        response = admin_web.get(path)
        assert response.status_code == 200
        return response

    add(2)
    few = statements(get)
    add(18)
    many = statements(get)
    assert len(get().context["page"].object_list) == 20
    assert few == many, f"{path}: {few} statements for 2 rows, {many} for 20"

"""Logged-in clients per role, the order pages' shop, and backorders that
stock found later has been allocated to; invariants checked after each test."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from fillrate.orders.services import LineInput
from fillrate.workflows.adjust_stock import adjust_stock_and_feed
from fillrate.workflows.place_order import place_order
from tests.orders.conftest import invariants_hold_after_each_test  # noqa: F401
from tests.web_orders.conftest import (  # noqa: F401
    HTMX,
    PASSWORD,
    admin_web,
    login,
    shop,
    short_order,
)


@dataclass
class Waiting:
    bean: object   # C-BEAN's backorder: 5 espresso beans, all 5 allocated (ready)
    wharf: object  # C-WHARF's backorder: 4 beans, 2 allocated (open)
    bean_order: object
    wharf_order: object


@pytest.fixture
def waiting(shop) -> Waiting:  # noqa: F811 - the imported fixture
    """Two backorders for beans placed with none in stock, then 7 found: the
    oldest gets all 5, the next 2 of its 4."""
    first = place_order(customer="C-BEAN", lines=[LineInput("COF-ESP-1KG", 5)])
    second = place_order(customer="C-WHARF", lines=[LineInput("COF-ESP-1KG", 4),
                                                   LineInput("KIT-FRN-3", 2)])
    adjust_stock_and_feed(product_id=shop.beans.id, quantity=7, reason="found")
    return Waiting(first.backorders[0], second.backorders[0], first.order, second.order)

"""Logged-in clients per role and a small shop with stock, for the order and
backorder pages."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from fillrate.orders.services import LineInput
from fillrate.workflows.place_order import place_order
from tests.factories import CustomerFactory, ProductFactory, SalesRepFactory

# One way to sign in for every web test (tests/web/conftest.py).
from tests.web.conftest import HTMX, PASSWORD, admin_web, login  # noqa: F401


@dataclass
class Shop:
    kettle: object
    press: object
    beans: object
    bean: object
    wharf: object
    rep: object


@pytest.fixture
def shop(stock) -> Shop:
    """Kettles 7 in stock, presses 12, beans none; two customers."""
    rep = SalesRepFactory(code="REP-ANNA", name="Anna Kowalski")
    return Shop(
        kettle=stock(ProductFactory(sku="KIT-KET-GOO", name="Gooseneck Kettle"), 7),
        press=stock(ProductFactory(sku="KIT-FRN-3", name="French Press"), 12),
        beans=stock(ProductFactory(sku="COF-ESP-1KG", name="Espresso Beans"), 0),
        bean=CustomerFactory(code="C-BEAN", name="Bean There Coffee", sales_rep=rep, vip=True),
        wharf=CustomerFactory(code="C-WHARF", name="Wharf Street Bar"),
        rep=rep,
    )


@pytest.fixture
def short_order(shop):
    """An order for C-BEAN: 10 kettles (7 in stock) and 2 presses -> BO for 3 kettles."""
    return place_order(customer="C-BEAN", lines=[LineInput("KIT-KET-GOO", 10),
                                                 LineInput("KIT-FRN-3", 2)])

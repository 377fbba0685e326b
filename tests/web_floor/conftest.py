"""Logged-in clients per role and a small warehouse floor: three queued
fulfillments of three customers, stock at two pick locations, a bulk
location, and a tote; invariants checked after each test."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from fillrate.orders.services import LineInput
from fillrate.workflows.fulfil import fulfil_order
from fillrate.workflows.place_order import place_order
from tests.factories import CustomerFactory, LocationFactory, ProductFactory
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
class Floor:
    a01: object   # pick, zone A: 10 kettles
    b01: object   # pick, zone B: 10 presses
    bulk: object  # bulk: 5 kettles
    kettle: object
    press: object
    first: object   # C-ONE: 2 kettles + 1 press
    second: object  # C-TWO: 1 kettle
    third: object   # C-THREE: 2 presses
    tote: object    # T-1, empty


@pytest.fixture
def floor(stock) -> Floor:
    from fillrate.picking.totes import create_tote

    a01 = LocationFactory(code="A-01", kind="pick", pick_sequence=10, zone="A")
    b01 = LocationFactory(code="B-01", kind="pick", pick_sequence=20, zone="B")
    bulk = LocationFactory(code="BULK-1", kind="bulk", pick_sequence=900, zone="")
    kettle = stock(ProductFactory(sku="KIT-KET", upc="0001112223334", name="Gooseneck Kettle",
                                  list_price="40.00"), 10, location=a01)
    stock(kettle, 5, location=bulk)
    press = stock(ProductFactory(sku="KIT-PRS", upc="0004445556667", name="French Press",
                                 list_price="25.00"), 10, location=b01)
    for code in ("C-ONE", "C-TWO", "C-THREE"):
        CustomerFactory(code=code, name=f"Customer {code[2:].title()}")
    made = []
    for customer, lines in (("C-ONE", [("KIT-KET", 2), ("KIT-PRS", 1)]),
                            ("C-TWO", [("KIT-KET", 1)]), ("C-THREE", [("KIT-PRS", 2)])):
        placed = place_order(customer=customer, lines=[LineInput(s, q) for s, q in lines])
        made.append(fulfil_order(number=placed.order.number, actor_id=None))
    return Floor(a01, b01, bulk, kettle, press, *made, create_tote(code="T-1"))

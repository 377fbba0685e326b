"""Logged-in clients per role and a small purchasing scene for the
supplier, purchase-order and receiving pages."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from fillrate.orders.services import LineInput
from fillrate.purchasing.models import PurchaseOrder, PurchaseOrderLine, Supplier
from fillrate.purchasing.services import PurchaseLineInput
from fillrate.workflows.place_order import place_order
from fillrate.workflows.purchase_orders import create_purchase_order
from tests.factories import CustomerFactory
from tests.helpers import db_state

# The supplier and products of the purchasing tests (ACME-SUP, WIDGET 4 in
# stock, GADGET none, C-ACME, the RECV location), and invariants after each test.
from tests.purchasing.conftest import (  # noqa: F401
    buying,
    invariants_hold_after_each_test,
    receiving_location,
)
from tests.web.conftest import HTMX, admin_web, login  # noqa: F401


def state() -> dict[str, object]:
    """Everything a refused request must leave alone: row counts and stock
    (`db_state`) plus every purchasing field a page can change."""
    return {
        **db_state(),
        "suppliers": sorted(Supplier.objects.values_list("code", "name", "email",
                                                         "lead_time_days")),
        "purchase_orders": sorted(PurchaseOrder.objects.values_list(
            "id", "status", "expected_date", "notes", "ordered_at", "cancelled_at")),
        "po_lines": sorted(PurchaseOrderLine.objects.values_list(
            "id", "quantity", "received", "cancelled")),
    }


def buy(*lines, status="ordered", **fields) -> str:
    return create_purchase_order(supplier="ACME-SUP", status=status,
                                 lines=[PurchaseLineInput(s, q) for s, q in lines],
                                 **fields).number


@pytest.fixture
def waiting(buying):  # noqa: F811 (the imported fixture)
    """Two backorders for GADGET, oldest first: C-ACME waits for 3, C-LATE
    for 4; an ordered purchase order for 10 GADGET and 6 WIDGET."""
    CustomerFactory(code="C-LATE", name="Late Customer")
    first = place_order(customer="C-ACME", lines=[LineInput("GADGET", 3)]).backorders[0]
    second = place_order(customer="C-LATE", lines=[LineInput("GADGET", 4)]).backorders[0]
    return SimpleNamespace(oldest=first.number, newer=second.number,
                           po=buy(("GADGET", 10), ("WIDGET", 6)))

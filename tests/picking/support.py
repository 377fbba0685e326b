"""Short ways to set up the warehouse floor in tests."""

from __future__ import annotations

from fillrate.picking.models import Tote
from fillrate.picking.totes import create_tote
from fillrate.workflows.fulfil import fulfil_order
from tests.orders.support import place


def queued(customer: str, *lines: tuple[str, int]):
    """Place an order and queue its allocated units: its fulfillment."""
    placed = place(customer, *lines)
    return fulfil_order(number=placed.order.number)


def tote(code: str = "T1") -> Tote:
    return create_tote(code=code)

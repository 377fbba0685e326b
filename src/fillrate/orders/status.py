"""An order's progress, derived from its line quantities by one pure function."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

# The order statuses (`fillrate.orders.models.OrderStatus` names them for the
# database): people set on_hold and cancelled, the lines imply the rest.
OPEN, PARTIALLY_FULFILLED, AWAITING_BACKORDER, FULFILLED, ON_HOLD, CANCELLED = (
    "open", "partially_fulfilled", "awaiting_backorder", "fulfilled", "on_hold", "cancelled")


@dataclass(frozen=True)
class LineQuantities:
    quantity: int
    allocated: int = 0
    shipped: int = 0
    backordered: int = 0
    cancelled: int = 0


def derive_order_status(lines: Iterable[LineQuantities], *, on_hold: bool = False,
                        cancelled: bool = False) -> str:
    """`on_hold` and `cancelled` are set by people and win; otherwise:
    all active units shipped -> fulfilled; nothing left to ship but units on
    backorder -> awaiting_backorder; something shipped -> partially_fulfilled;
    else open. An order whose every unit is cancelled is cancelled."""
    if cancelled:
        return CANCELLED
    if on_hold:
        return ON_HOLD
    lines = list(lines)
    active = sum(x.quantity - x.cancelled for x in lines)
    shipped = sum(x.shipped for x in lines)
    backordered = sum(x.backordered for x in lines)
    to_ship = sum(x.quantity - x.cancelled - x.shipped - x.backordered for x in lines)
    if active == 0:
        return CANCELLED
    if shipped == active:
        return FULFILLED
    if backordered and to_ship == 0:
        return AWAITING_BACKORDER
    if shipped:
        return PARTIALLY_FULFILLED
    return OPEN

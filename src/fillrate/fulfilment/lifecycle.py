"""Fulfillment lifecycle: the transition table (DESIGN.md), checked by the one guard.

This issue walks `queued -> dispatched -> delivered` and `cancelled`; the
warehouse floor adds services for the steps in between (picking, picked,
packed) and the issues wall.
"""

from __future__ import annotations

from fillrate.core.lifecycle import check_transition

QUEUED, PICKING, PICKED, PACKED, DISPATCHED, DELIVERED, ISSUE, CANCELLED = (
    "queued", "picking", "picked", "packed", "dispatched", "delivered", "issue", "cancelled")

TRANSITIONS = {
    QUEUED: frozenset({PICKING, DISPATCHED, ISSUE, CANCELLED}),
    PICKING: frozenset({PICKED, ISSUE, CANCELLED}),
    PICKED: frozenset({PACKED, DISPATCHED, ISSUE, CANCELLED}),
    PACKED: frozenset({DISPATCHED, ISSUE, CANCELLED}),
    DISPATCHED: frozenset({DELIVERED}),
    DELIVERED: frozenset(),
    ISSUE: frozenset({QUEUED, CANCELLED}),
    CANCELLED: frozenset(),
}
# Units on a fulfillment in one of these states are spoken for: they cannot be
# put on a second fulfillment until this one is dispatched or cancelled.
PENDING = frozenset({QUEUED, PICKING, PICKED, PACKED, ISSUE})


def check(current: str, new: str) -> None:
    check_transition(TRANSITIONS, current=current, new=new, app="fulfilment")

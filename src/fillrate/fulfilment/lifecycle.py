"""Fulfillment lifecycle: the transition table (DESIGN.md), checked by the one guard.

Small shops walk `queued -> dispatched -> delivered`; the warehouse floor
(`fillrate.picking`) walks `queued -> picking -> picked -> packed ->
dispatched`, with `issue` for missing units (back to `queued` when found, on
to `picked` when the missing units are cancelled or split off, `backorder`
when the whole fulfillment waits for them and back to `queued` when they
are allocated). A cancelled pick run puts its unfinished work back in the
queue; undoing the last pick of a picked fulfillment makes it `picking`.
"""

from __future__ import annotations

from fillrate.core.lifecycle import check_transition

QUEUED, PICKING, PICKED, PACKED, DISPATCHED, DELIVERED, ISSUE, BACKORDER, CANCELLED = (
    "queued", "picking", "picked", "packed", "dispatched", "delivered", "issue", "backorder",
    "cancelled")

TRANSITIONS = {
    QUEUED: frozenset({PICKING, DISPATCHED, ISSUE, CANCELLED}),
    PICKING: frozenset({QUEUED, PICKED, ISSUE, CANCELLED}),
    PICKED: frozenset({PICKING, PACKED, DISPATCHED, ISSUE, CANCELLED}),
    PACKED: frozenset({DISPATCHED, ISSUE, CANCELLED}),
    DISPATCHED: frozenset({DELIVERED}),
    DELIVERED: frozenset(),
    ISSUE: frozenset({QUEUED, PICKED, BACKORDER, CANCELLED}),
    BACKORDER: frozenset({QUEUED, CANCELLED}),
    CANCELLED: frozenset(),
}
# Units on a fulfillment in one of these states are spoken for: they cannot be
# put on a second fulfillment until this one is dispatched or cancelled.
PENDING = frozenset({QUEUED, PICKING, PICKED, PACKED, ISSUE, BACKORDER})


def check(current: str, new: str) -> None:
    check_transition(TRANSITIONS, current=current, new=new, app="fulfilment")

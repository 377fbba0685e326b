"""Purchase-order lifecycle: the transition table and the status that the
lines' received quantities imply."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from fillrate.core.lifecycle import check_transition

DRAFT, ORDERED, PARTIAL, RECEIVED, CANCELLED = (
    "draft", "ordered", "partially_received", "received", "cancelled")

TRANSITIONS = {
    DRAFT: frozenset({ORDERED, CANCELLED}),
    ORDERED: frozenset({PARTIAL, RECEIVED, CANCELLED}),
    # Cancelling a partly received order closes what is still outstanding;
    # what arrived stays received.
    PARTIAL: frozenset({RECEIVED, CANCELLED}),
    RECEIVED: frozenset(),
    CANCELLED: frozenset(),
}
TERMINAL = frozenset({RECEIVED, CANCELLED})
# Supplier stock on its way: it counts as `incoming` and can be received.
OPEN = frozenset({ORDERED, PARTIAL})


def check(current: str, new: str) -> None:
    """Guard a move the lines imply after a receipt; staying put is allowed."""
    if current != new:
        check_transition(TRANSITIONS, current=current, new=new, app="purchasing")


def check_action(current: str, new: str) -> None:
    """Guard a move a person asked for (order, cancel): staying put is refused."""
    check_transition(TRANSITIONS, current=current, new=new, app="purchasing")


@dataclass(frozen=True)
class LineQuantities:
    quantity: int
    received: int = 0
    cancelled: int = 0

    @property
    def outstanding(self) -> int:
        return max(self.quantity - self.received - self.cancelled, 0)


def derive_receipt_status(lines: Iterable[LineQuantities]) -> str:
    """What an ordered purchase order's lines imply: nothing received yet ->
    ordered; nothing outstanding -> received; else partially_received."""
    lines = list(lines)
    if not any(x.received for x in lines):
        return ORDERED
    if all(x.outstanding == 0 for x in lines):
        return RECEIVED
    return PARTIAL

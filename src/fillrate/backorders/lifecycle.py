"""Backorder lifecycle: the transition table and the status its lines imply."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from fillrate.core.lifecycle import check_transition

OPEN, READY, PARTIAL, COMPLETE, CANCELLED = (
    "open", "ready", "partially_fulfilled", "complete", "cancelled")

TRANSITIONS = {
    OPEN: frozenset({READY, PARTIAL, COMPLETE, CANCELLED}),
    READY: frozenset({OPEN, PARTIAL, COMPLETE, CANCELLED}),
    PARTIAL: frozenset({COMPLETE, CANCELLED}),
    COMPLETE: frozenset(),
    CANCELLED: frozenset(),
}
TERMINAL = frozenset({COMPLETE, CANCELLED})
ACTIVE = frozenset({OPEN, READY, PARTIAL})


def check(current: str, new: str) -> None:
    """Guard a move the lines imply; staying put is always allowed."""
    if current != new:
        check_transition(TRANSITIONS, current=current, new=new, app="backorders")


def check_cancel(current: str) -> None:
    """Guard a cancel a person asked for: never from a terminal state."""
    check_transition(TRANSITIONS, current=current, new=CANCELLED, app="backorders")


@dataclass(frozen=True)
class LineQuantities:
    quantity: int
    allocated: int = 0
    fulfilled: int = 0
    cancelled: int = 0


def derive_status(lines: Iterable[LineQuantities]) -> str:
    """What the lines imply: everything cancelled -> cancelled; nothing left
    open -> complete; something fulfilled -> partially_fulfilled; every open
    unit allocated -> ready; else open."""
    lines = list(lines)
    quantity = sum(x.quantity for x in lines)
    cancelled = sum(x.cancelled for x in lines)
    fulfilled = sum(x.fulfilled for x in lines)
    waiting = sum(x.quantity - x.allocated - x.fulfilled - x.cancelled for x in lines)
    if quantity == cancelled:
        return CANCELLED
    if fulfilled + cancelled == quantity:
        return COMPLETE
    if fulfilled:
        return PARTIAL
    if waiting == 0:
        return READY
    return OPEN


def derive_status_sql(*, quantity: str, allocated: str, fulfilled: str, cancelled: str) -> str:
    """`derive_status` as a SQL expression over the lines' summed columns
    (for set-based writes; a test holds the two to the same answers)."""
    waiting = f"({quantity} - {allocated} - {fulfilled} - {cancelled})"
    return (f"CASE WHEN {quantity} = {cancelled} THEN '{CANCELLED}'"
            f" WHEN {fulfilled} + {cancelled} = {quantity} THEN '{COMPLETE}'"
            f" WHEN {fulfilled} <> 0 THEN '{PARTIAL}'"
            f" WHEN {waiting} = 0 THEN '{READY}' ELSE '{OPEN}' END")

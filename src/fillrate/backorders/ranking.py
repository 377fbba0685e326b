"""Who gets new stock first: a pure decision, no database.

`allocation_policy` (API.md) is `fifo` (oldest backorder first) or
`priority` (high-priority backorders first, then VIP customers, then oldest).
Ties go to the lower backorder id, then the lower line id, so the ranking is
total and the same on every run.

The ranking is one list of sort keys per policy (`RANK_KEYS`); the pure
`rank_waiting_lines` sorts by it, and the set-based PostgreSQL path in
`fillrate.backorders.feeding` builds its `ORDER BY` from the same list,
so both paths put the same line first.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from fillrate.core.errors import InvalidValue

FIFO, PRIORITY = "fifo", "priority"

# (field of WaitingLine, descending?) in significance order.
RANK_KEYS: dict[str, tuple[tuple[str, bool], ...]] = {
    FIFO: (("created_at", False), ("backorder_id", False), ("line_id", False)),
    PRIORITY: (("high", True), ("vip", True), ("created_at", False), ("backorder_id", False),
               ("line_id", False)),
}


@dataclass(frozen=True)
class WaitingLine:
    """A backorder line with units waiting for stock, and what ranks it."""

    line_id: int
    backorder_id: int
    product_id: int
    waiting: int
    created_at: dt.datetime
    high: bool = False
    vip: bool = False


def rank_keys(policy: str) -> tuple[tuple[str, bool], ...]:
    try:
        return RANK_KEYS[policy]
    except KeyError:
        raise InvalidValue("backorders.unknown_policy",
                           f"allocation_policy must be one of {', '.join(RANK_KEYS)}",
                           field="allocation_policy") from None


def _sort_key(keys: tuple[tuple[str, bool], ...]):
    def key(line: WaitingLine) -> tuple:
        out = []
        for name, descending in keys:
            value = getattr(line, name)
            if descending:
                # Only booleans rank descending: True (1) first.
                value = -int(value)
            out.append(value)
        return tuple(out)

    return key


def rank_waiting_lines(lines: Iterable[WaitingLine], *, policy: str) -> list[WaitingLine]:
    """The lines in the order they get stock under `policy` (each product's
    lines keep this relative order; products do not compete)."""
    return sorted(lines, key=_sort_key(rank_keys(policy)))


_RANK_SQL = {
    "created_at": "b.created_at", "backorder_id": "b.id", "line_id": "bl.id",
    "high": "(b.priority = 'high')", "vip": "c.vip",
}


def rank_order_sql(policy: str) -> str:
    """The `ORDER BY` of `rank_waiting_lines` for `policy` in SQL, over `bl`
    (backorder line), `b` (backorder) and, if `ranks_by_customer`, `c`
    (customer)."""
    return ", ".join(f"{_RANK_SQL[name]}{' DESC' if desc else ''}"
                     for name, desc in rank_keys(policy))


def ranks_by_customer(policy: str) -> bool:
    """Whether the ranking needs the customer (`c` in `rank_order_sql`)."""
    return any(_RANK_SQL[name].startswith("c.") for name, _ in rank_keys(policy))

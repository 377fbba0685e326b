"""Stock counts: the counted quantity of a product at a location becomes its
on-hand stock, and the difference is a `counted` movement in the ledger.

Set-based, for counts of tens of thousands of levels: the levels are created
where missing and locked in the global order (product id, then location id,
see `fillrate.inventory.locks`) a chunk at a time, then changed with one
UPDATE and one multi-row INSERT of movements per chunk, and one `StockCounted`
event for the whole count (its payload says how many levels moved and by how
much). Feeding waiting backorders from stock that went up is the caller's
(`fillrate.workflows`), in the same transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

from django.db import connection, transaction

from fillrate.core.errors import Conflict
from fillrate.core.events import record_event
from fillrate.core.sql import add_to_column, fetch, in_list, insert_instances, table
from fillrate.inventory.locks import ensure_stock_levels
from fillrate.inventory.models import AdjustmentReason, MovementKind, StockLevel, StockMovement

CHUNK = 2000


class Count(NamedTuple):
    product_id: int
    location_id: int
    quantity: int
    # The caller's handle for this count (a CSV row number), named in errors.
    ref: int = 0


@dataclass(frozen=True)
class CountedStock:
    levels: int  # levels counted
    changed: int  # levels whose on-hand moved
    units_up: int
    units_down: int
    raised_product_ids: list[int]  # products with a level that went up


class CountBelowAllocated(Conflict):
    """Counts lower than what is allocated at their level (the units are
    held for orders); nothing changed. `refused` lists (ref, message)."""

    def __init__(self, refused: list[tuple[int, str]]) -> None:
        super().__init__("inventory.count_below_allocated", refused[0][1], field="quantity")
        self.refused = refused


def _lock_levels(pairs: Sequence[tuple[int, int]]) -> dict[tuple[int, int], tuple[int, int, int]]:
    """Lock these (product, location) levels in the global order and return
    `(id, on_hand, allocated)` by pair."""
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    values = ", ".join(["(%s, %s)"] * len(pairs))
    rows = fetch(
        f"SELECT id, product_id, location_id, on_hand, allocated FROM {table(StockLevel)} "
        f"WHERE (product_id, location_id) IN (VALUES {values}) "
        f"ORDER BY product_id, location_id{lock}",
        [x for pair in pairs for x in pair])
    return {(p, loc): (pk, on_hand, allocated) for pk, p, loc, on_hand, allocated in rows}


def _lock_products(product_ids: list[int]) -> None:
    """Every stock level of these products, in the global order: what a feed
    of waiting backorders after the count locks too, taken first."""
    if not connection.features.has_select_for_update:
        return  # SQLite: the IMMEDIATE transaction holds the write lock
    for start in range(0, len(product_ids), CHUNK):
        ids = product_ids[start:start + CHUNK]
        fetch(f"SELECT id FROM {table(StockLevel)} WHERE product_id IN ({in_list(ids)}) "
              f"ORDER BY product_id, location_id FOR UPDATE", ids)


def count_stock(*, counts: Sequence[Count], actor_id: int | None = None,
                reference: str = "", note: str = "") -> CountedStock:
    """Set each counted level's on-hand to its count. Locks every stock
    level of the counted products (global order) first. Each (product,
    location) may be counted once. A count below the level's allocated
    quantity raises `CountBelowAllocated` naming every such count (that
    needs the lost-stock path, which releases allocations first); then
    nothing changed (the count runs in a savepoint of the caller's
    transaction, which holds the locks until it ends)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("count_stock must run inside a transaction")
    with transaction.atomic():
        return _count(counts, actor_id=actor_id, reference=reference, note=note)


def _count(counts: Sequence[Count], *, actor_id: int | None, reference: str,
           note: str) -> CountedStock:
    ordered = sorted(counts, key=lambda c: (c.product_id, c.location_id))
    _lock_products(sorted({c.product_id for c in ordered}))
    refused: list[tuple[int, str]] = []
    changed = up = down = 0
    raised: set[int] = set()
    for start in range(0, len(ordered), CHUNK):
        chunk = ordered[start:start + CHUNK]
        pairs = [(c.product_id, c.location_id) for c in chunk]
        ensure_stock_levels(pairs)
        levels = _lock_levels(pairs)
        deltas: dict[int, int] = {}
        movements = []
        for c in chunk:
            pk, on_hand, allocated = levels[(c.product_id, c.location_id)]
            if c.quantity < allocated:
                refused.append((c.ref, f"counted {c.quantity}, but {allocated} are allocated "
                                f"there to orders (on hand {on_hand})"))
                continue
            delta = c.quantity - on_hand
            if not delta:
                continue
            deltas[pk] = delta
            movements.append(StockMovement(
                product_id=c.product_id, location_id=c.location_id, quantity=delta,
                on_hand_after=c.quantity, kind=MovementKind.COUNTED,
                reason=AdjustmentReason.COUNT, note=note[:500], reference=reference[:64],
                actor_id=actor_id))
            changed += 1
            if delta > 0:
                up += delta
                raised.add(c.product_id)
            else:
                down -= delta
        if refused:
            continue  # keep looking for every refused count; nothing is kept anyway
        add_to_column(StockLevel, "on_hand", deltas)
        if movements:
            insert_instances(movements)
    if refused:
        raise CountBelowAllocated(sorted(refused))
    result = CountedStock(levels=len(ordered), changed=changed, units_up=up, units_down=down,
                          raised_product_ids=sorted(raised))
    record_event(type="StockCounted", subject_type="stock", subject=reference or "count",
                 actor_id=actor_id,
                 payload={"levels": result.levels, "changed": changed, "units_up": up,
                          "units_down": down, "note": note})
    return result

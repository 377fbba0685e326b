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

from django.db import IntegrityError, connection, transaction

from fillrate.core import sql
from fillrate.core.errors import Busy, Conflict
from fillrate.core.event_types import EventType
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


def set_based() -> bool:
    """Which path the count takes (`fillrate.core.sql.set_based`; both are
    tested against each other)."""
    return sql.set_based()


def _count(counts: Sequence[Count], *, actor_id: int | None, reference: str,
           note: str) -> CountedStock:
    movement = {"kind": str(MovementKind.COUNTED), "reason": str(AdjustmentReason.COUNT),
                "note": note[:500], "reference": reference[:64], "actor_id": actor_id}
    if set_based():
        changed, up, down, raised = _count_set_based(counts, movement)
    else:
        changed, up, down, raised = _count_portable(counts, movement)
    result = CountedStock(levels=len(counts), changed=changed, units_up=up, units_down=down,
                          raised_product_ids=sorted(raised))
    record_event(type=EventType.STOCK_COUNTED, subject_type="stock", subject=reference or "count",
                 actor_id=actor_id,
                 payload={"levels": result.levels, "changed": changed, "units_up": up,
                          "units_down": down, "note": note})
    return result


def _count_portable(counts: Sequence[Count], movement: dict
                    ) -> tuple[int, int, int, set[int]]:
    """A chunk at a time: levels created, locked, read, then one UPDATE and
    one multi-row INSERT of movements."""
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
                on_hand_after=c.quantity, **movement))
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
    return changed, up, down, raised


_COUNTS = "stock_count_rows"


def _count_set_based(counts: Sequence[Count], movement: dict
                     ) -> tuple[int, int, int, set[int]]:
    """PostgreSQL: the counts go in with COPY to a temporary table; every
    level of the counted products is locked in the global order, refusals
    found, then one statement writes the levels (new ones at their count,
    existing ones updated) and the movements."""
    levels, movements = table(StockLevel), table(StockMovement)
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TEMP TABLE IF NOT EXISTS {_COUNTS} (product_id bigint, "
                       "location_id bigint, quantity integer, ref integer) ON COMMIT DROP")
        cursor.execute(f"TRUNCATE {_COUNTS}")
        with cursor.cursor.copy(f"COPY {_COUNTS} FROM STDIN") as copy:
            for c in counts:
                copy.write_row(c)
        cursor.execute(f"ANALYZE {_COUNTS}")
        cursor.execute(
            f"SELECT 1 FROM {levels} WHERE product_id IN (SELECT product_id FROM {_COUNTS}) "
            f"ORDER BY product_id, location_id FOR UPDATE")
        cursor.execute(
            f"SELECT c.ref, c.quantity, sl.on_hand, sl.allocated FROM {_COUNTS} c "
            f"JOIN {levels} sl USING (product_id, location_id) WHERE c.quantity < sl.allocated "
            f"ORDER BY c.ref")
        refused = cursor.fetchall()
        if refused:
            raise CountBelowAllocated([
                (ref, f"counted {quantity}, but {allocated} are allocated there to orders "
                      f"(on hand {on_hand})") for ref, quantity, on_hand, allocated in refused])
        # A level that did not exist is made at its count (not at zero and
        # then updated: a first count of a warehouse makes all of them). If
        # another transaction made the same level since, the INSERT fails on
        # the unique pair and the whole count is rolled back: try again.
        try:
            with transaction.atomic():
                cursor.execute(
                    f"WITH cur AS (SELECT c.product_id, c.location_id, c.quantity, sl.id, "
                    f"coalesce(sl.on_hand, 0) AS on_hand FROM {_COUNTS} c "
                    f"LEFT JOIN {levels} sl USING (product_id, location_id)), "
                    f"made AS (INSERT INTO {levels} (product_id, location_id, on_hand, allocated) "
                    f"SELECT product_id, location_id, quantity, 0 FROM cur WHERE id IS NULL "
                    f"ORDER BY product_id, location_id), "
                    f"updated AS (UPDATE {levels} sl SET on_hand = cur.quantity FROM cur "
                    f"WHERE sl.id = cur.id AND cur.quantity <> cur.on_hand), "
                    f"changed AS (SELECT product_id, location_id, quantity, "
                    f"quantity - on_hand AS delta FROM cur WHERE quantity <> on_hand), "
                    f"moved AS (INSERT INTO {movements} (product_id, location_id, quantity, "
                    f"on_hand_after, kind, reason, note, reference, actor_id, created_at) "
                    f"SELECT product_id, location_id, delta, quantity, %s, %s, %s, %s, %s, now() "
                    f"FROM changed) "
                    f"SELECT count(*), coalesce(sum(delta) FILTER (WHERE delta > 0), 0), "
                    f"coalesce(-sum(delta) FILTER (WHERE delta < 0), 0), "
                    f"array_agg(DISTINCT product_id) FILTER (WHERE delta > 0) FROM changed",
                    [movement["kind"], movement["reason"], movement["note"],
                     movement["reference"], movement["actor_id"]])
                changed, up, down, raised = cursor.fetchone()
        except IntegrityError:
            raise Busy("inventory.count_raced", "a stock level of this count was created by "
                       "someone else meanwhile: try again (nothing was changed)") from None
    return changed, up, down, set(raised or ())

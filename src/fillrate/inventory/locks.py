"""The one way to lock stock before changing it.

Every stock change locks the stock levels it touches, in one global order
(product id, then location id), before it decides anything. On PostgreSQL
that is `SELECT ... FOR UPDATE`; on SQLite, where row locks do nothing, the
IMMEDIATE transaction mode (settings) already holds the database write lock.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction

from fillrate.core.sql import fetch, in_list, table
from fillrate.inventory.models import SELLABLE_KINDS, Location, StockLevel


def ensure_stock_levels(pairs: Iterable[tuple[int, int]]) -> None:
    """Create missing (product, location) rows at zero so they can be locked."""
    rows = [StockLevel(product_id=p, location_id=loc) for p, loc in sorted(set(pairs))]
    if rows:
        StockLevel.objects.bulk_create(rows, ignore_conflicts=True)


def lock_stock_levels(
    *, product_ids: Iterable[int], location_ids: Iterable[int] | None = None,
    sellable_only: bool = False,
) -> list[StockLevel]:
    """Lock and return the stock levels of these products (optionally only at
    these locations, or only sellable ones), ordered by product id then
    location id; each comes with its location.

    Must run inside a transaction.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("lock_stock_levels must run inside a transaction")
    ids = sorted(set(product_ids))
    qs = StockLevel.objects.filter(product_id__in=ids)
    if location_ids is not None:
        qs = qs.filter(location_id__in=sorted(set(location_ids)))
    if sellable_only:
        qs = qs.filter(location__kind__in=SELLABLE_KINDS)
    return list(
        qs.select_for_update(of=("self",)).select_related("location").order_by(
            "product_id", "location_id"
        )
    )


@dataclass(frozen=True)
class FreeStock:
    stock_level_id: int
    product_id: int
    location_id: int
    pick_sequence: int
    free: int


def lock_sellable_stock(product_ids: Iterable[int]) -> list[FreeStock]:
    """`lock_stock_levels(product_ids=..., sellable_only=True)` for the hot
    path: the same rows locked in the same order, read as plain tuples in one
    statement (no query compilation, no model instances)."""
    conn = transaction.get_connection()
    if not conn.in_atomic_block:
        raise RuntimeError("lock_sellable_stock must run inside a transaction")
    ids = sorted(set(product_ids))
    if not ids:
        return []
    levels, locations = table(StockLevel), table(Location)
    lock = " FOR UPDATE OF sl" if conn.features.has_select_for_update_of else ""
    rows = fetch(
        f"SELECT sl.id, sl.product_id, sl.location_id, loc.pick_sequence, "
        f"sl.on_hand - sl.allocated FROM {levels} sl JOIN {locations} loc "
        f"ON loc.id = sl.location_id WHERE sl.product_id IN ({in_list(ids)}) "
        f"AND loc.kind IN ({in_list(SELLABLE_KINDS)}) "
        f"ORDER BY sl.product_id, sl.location_id{lock}",
        [*ids, *(str(k) for k in SELLABLE_KINDS)])
    return [FreeStock(*row) for row in rows]

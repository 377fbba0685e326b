"""A stock adjustment that feeds waiting backorders: stock found or counted
up goes to the backorders first in line before it becomes free stock
(DESIGN.md invariant 3), in the same transaction, like a receipt."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from fillrate.backorders.feeding import Fed, feed_backorders
from fillrate.core.retry import retry_on_lock_conflict
from fillrate.inventory.locks import lock_stock_levels
from fillrate.inventory.models import StockLevel
from fillrate.inventory.services import adjust_stock


@dataclass(frozen=True)
class AdjustedStock:
    movement_id: int
    sku: str
    location: str
    quantity: int
    on_hand: int
    allocated: int  # at the adjusted location, after backorders were fed
    allocations: list[Fed]


@retry_on_lock_conflict
def adjust_stock_and_feed(
    *, product_id: int, quantity: int, reason: str, location_id: int | None = None,
    note: str = "", actor_id: int | None = None,
) -> AdjustedStock:
    """`fillrate.inventory.services.adjust_stock`, then (when stock went up)
    `feed_backorders` for the product. Locks every stock level of the product
    first, so the adjustment's own lock and the feed's come in the global
    order. Raises what `adjust_stock` raises; then nothing changed."""
    with transaction.atomic():
        lock_stock_levels(product_ids=[product_id])
        adjustment = adjust_stock(product_id=product_id, quantity=quantity, reason=reason,
                                  location_id=location_id, note=note, actor_id=actor_id)
        fed: list[Fed] = []
        if quantity > 0:
            # A stock level the adjustment created, adjust_stock has locked.
            fed = feed_backorders(product_ids=[product_id], actor_id=actor_id,
                                  cause=f"adjustment {adjustment.movement_id}")
        allocated = adjustment.allocated
        if fed:
            allocated = StockLevel.objects.filter(
                product_id=product_id, location__movements__id=adjustment.movement_id,
            ).values_list("allocated", flat=True).first() or 0
    return AdjustedStock(movement_id=adjustment.movement_id, sku=adjustment.sku,
                         location=adjustment.location, quantity=adjustment.quantity,
                         on_hand=adjustment.on_hand, allocated=allocated, allocations=fed)

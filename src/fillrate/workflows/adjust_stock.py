"""A stock adjustment as a person makes it.

Stock found or counted up goes to the backorders first in line before it
becomes free stock (DESIGN.md invariant 3), in the same transaction, like a
receipt. Stock lost while it is allocated (damaged, lost, a short count) is
taken from its allocations first (`fillrate.workflows.lost_stock`): the
answer says what it took from whom, and the feed that follows hands any free
stock to the backorders that now wait.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from fillrate.backorders.feeding import Fed, feed_backorders
from fillrate.catalog.models import Product
from fillrate.core.errors import NotFound
from fillrate.core.retry import retry_on_lock_conflict
from fillrate.fulfilment.services import Reduced
from fillrate.inventory.locks import ensure_stock_levels, lock_stock_levels
from fillrate.inventory.models import StockLevel
from fillrate.inventory.services import adjust_stock, adjustment_location, validate_adjustment
from fillrate.picking.services import requeue_backordered_fulfillments
from fillrate.workflows.lost_stock import Taken, adjust_lost_stock


@dataclass(frozen=True)
class AdjustedStock:
    movement_id: int
    sku: str
    location: str
    quantity: int
    on_hand: int
    allocated: int  # at the adjusted location, after backorders were fed
    allocations: list[Fed]
    taken: list[Taken]  # allocated units the loss took, from whom, and what became of them
    reduced: list[Reduced]  # pending fulfillments that shrank


@retry_on_lock_conflict
def adjust_stock_and_feed(
    *, product_id: int, quantity: int, reason: str, location_id: int | None = None,
    note: str = "", actor_id: int | None = None,
) -> AdjustedStock:
    """`fillrate.inventory.services.adjust_stock`, taking lost units from
    their allocations where too few are free (`adjust_lost_stock`), then
    `feed_backorders` for the product. Locks every stock level of the
    product first, so the adjustment's own lock and the feed's come in the
    global order. On hand below zero: `inventory.insufficient_stock` (409);
    the other errors of `adjust_stock`; then nothing changed."""
    validate_adjustment(quantity=quantity, reason=reason)
    with transaction.atomic():
        product = Product.objects.filter(id=product_id).only("id", "sku").first()
        if product is None:
            raise NotFound("catalog.unknown_sku", "no such product", field="sku")
        location = adjustment_location(product_id=product_id, quantity=quantity,
                                       location_id=location_id)
        ensure_stock_levels([(product_id, location.id)])
        level = next(lv for lv in lock_stock_levels(product_ids=[product_id])
                     if lv.location_id == location.id)
        taken: list[Taken] = []
        reduced: list[Reduced] = []
        changed: list[int] = []
        if quantity < 0 and 0 <= level.on_hand + quantity < level.allocated:
            adjustment, withdrawn = adjust_lost_stock(
                level=level, quantity=quantity, reason=reason, note=note, sku=product.sku,
                location=location.code, actor_id=actor_id)
            taken, reduced, changed = withdrawn.taken, withdrawn.reduced, withdrawn.backorder_ids
        else:
            adjustment = adjust_stock(product_id=product_id, quantity=quantity, reason=reason,
                                      location_id=location.id, note=note, actor_id=actor_id)
        fed = feed_backorders(product_ids=[product_id], actor_id=actor_id,
                              cause=f"adjustment {adjustment.movement_id}",
                              changed_backorders=changed)
        if fed:  # a fulfillment waiting on the issues wall for them goes back to picking
            requeue_backordered_fulfillments(product_ids=[product_id], actor_id=actor_id)
        allocated = StockLevel.objects.filter(id=level.id).values_list(
            "allocated", flat=True).first() or 0
    return AdjustedStock(movement_id=adjustment.movement_id, sku=adjustment.sku,
                         location=adjustment.location, quantity=adjustment.quantity,
                         on_hand=adjustment.on_hand, allocated=allocated, allocations=fed,
                         taken=taken, reduced=reduced)

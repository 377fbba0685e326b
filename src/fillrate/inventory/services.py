"""Changes of on-hand stock (warehouses and locations: `fillrate.inventory.places`)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.db.models import F

from fillrate.catalog.models import Product
from fillrate.core.errors import Conflict, InvalidValue, NotFound
from fillrate.core.events import record_event
from fillrate.core.retry import retry_on_lock_conflict
from fillrate.inventory.locks import ensure_stock_levels, lock_stock_levels
from fillrate.inventory.models import (
    AdjustmentReason,
    Location,
    LocationKind,
    MovementKind,
    StockLevel,
    StockMovement,
)

# The range of the quantity columns on PostgreSQL (`integer`).
MAX_QUANTITY = 2**31 - 1


@dataclass(frozen=True)
class Adjustment:
    movement_id: int
    sku: str
    location: str
    quantity: int
    on_hand: int
    allocated: int


def _default_location(*, product_id: int, quantity: int) -> Location:
    """Where an adjustment without a location lands: a negative one takes from
    the sellable location with the most free stock; a positive one goes where
    the product already lives (first in pick sequence), else the first pick
    location."""
    levels = (
        StockLevel.objects.filter(product_id=product_id, location__kind=LocationKind.PICK)
        .select_related("location")
        .order_by("location__pick_sequence", "location_id")
    )
    if quantity < 0:
        level = (
            StockLevel.objects.filter(product_id=product_id)
            .exclude(location__kind=LocationKind.ISSUES)
            .select_related("location")
            .order_by(F("allocated") - F("on_hand"), "location__pick_sequence")
            .first()
        )
        if level is not None:
            return level.location
    else:
        level = levels.filter(on_hand__gt=0).first()
        if level is not None:
            return level.location
    location = Location.objects.filter(kind=LocationKind.PICK, active=True).order_by(
        "pick_sequence", "id").first()
    if location is None:
        raise Conflict("inventory.no_location", "there is no pick location to put stock in",
                       field="location")
    return location


@retry_on_lock_conflict
def adjust_stock(
    *, product_id: int, quantity: int, reason: str, location_id: int | None = None,
    note: str = "", actor_id: int | None = None,
) -> Adjustment:
    """Change on-hand stock by `quantity` (positive or negative) with a reason.

    Locks the stock level (see `lock_stock_levels`). A negative adjustment may
    not take on-hand below zero or below what is allocated there:
    `inventory.insufficient_stock`, and nothing changes. Writes one movement
    and a `StockAdjusted` event in the same transaction.
    """
    if quantity == 0:
        raise InvalidValue("inventory.invalid_quantity", "quantity cannot be zero",
                           field="quantity")
    if abs(quantity) > MAX_QUANTITY:
        raise InvalidValue("inventory.invalid_quantity",
                           f"quantity must be between -{MAX_QUANTITY} and {MAX_QUANTITY}",
                           field="quantity")
    if reason not in AdjustmentReason.values:
        raise InvalidValue("inventory.unknown_reason",
                           f"reason must be one of {', '.join(AdjustmentReason.values)}",
                           field="reason")
    with transaction.atomic():
        product = Product.objects.filter(id=product_id).only("id", "sku").first()
        if product is None:
            raise NotFound("catalog.unknown_sku", "no such product", field="sku")
        if location_id is None:
            location = _default_location(product_id=product_id, quantity=quantity)
        else:
            location = Location.objects.filter(id=location_id).first()
            if location is None:
                raise NotFound("inventory.unknown_location", "no such location",
                               field="location")
        ensure_stock_levels([(product_id, location.id)])
        (level,) = lock_stock_levels(product_ids=[product_id], location_ids=[location.id])
        if level.on_hand + quantity < level.allocated:
            raise Conflict(
                "inventory.insufficient_stock",
                f"{product.sku} at {location.code} has {level.on_hand} on hand, "
                f"{level.allocated} allocated: cannot remove {-quantity}",
                field="quantity",
            )
        if level.on_hand + quantity > MAX_QUANTITY:
            raise InvalidValue("inventory.invalid_quantity",
                               f"on hand cannot exceed {MAX_QUANTITY}", field="quantity")
        level.on_hand += quantity
        StockLevel.objects.filter(id=level.id).update(on_hand=F("on_hand") + quantity)
        kind = MovementKind.COUNTED if reason == AdjustmentReason.COUNT else MovementKind.ADJUSTED
        movement = StockMovement.objects.create(
            product_id=product_id, location=location, quantity=quantity,
            on_hand_after=level.on_hand, kind=kind, reason=reason, note=note[:500],
            actor_id=actor_id,
        )
        record_event(
            type="StockAdjusted", subject_type="product", subject=product.sku, actor_id=actor_id,
            payload={"location": location.code, "quantity": quantity, "reason": reason,
                     "on_hand": level.on_hand, "note": note},
        )
    return Adjustment(movement_id=movement.id, sku=product.sku, location=location.code,
                      quantity=quantity, on_hand=level.on_hand, allocated=level.allocated)

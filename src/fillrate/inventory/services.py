"""Every change of stock (warehouses and locations: `fillrate.inventory.places`).

This module is the one writer of stock levels (`on_hand`, `allocated`) and
of the movement ledger (DESIGN.md, "one owner per quantity"); a test fails
if any other module writes them. Every change of on-hand stock writes its
movement in the same statement batch. Each function takes many rows at once
where its callers have many (a receipt of 50 lines is one UPDATE and one
INSERT), and says which locks it expects: the caller has locked the stock
levels it names with `fillrate.inventory.locks.lock_stock_levels` (global
lock order: stock levels by product id, then location id; then documents).
The allocation rows that say which order line a held unit is for belong to
`fillrate.orders`; here is only their stock side (`allocated`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from fillrate.catalog.models import Product
from fillrate.core.errors import Conflict, InvalidValue, NotFound
from fillrate.core.event_types import EventType
from fillrate.core.events import record_event
from fillrate.core.numbers import MAX_QUANTITY
from fillrate.core.retry import retry_on_lock_conflict
from fillrate.core.sql import (
    WriteBatch,
    add_to_column,
    add_to_columns,
    fetch,
    insert_instances,
    set_based,
    table,
)
from fillrate.inventory.locks import ensure_stock_levels, lock_stock_levels
from fillrate.inventory.models import (
    AdjustmentReason,
    Location,
    LocationKind,
    MovementKind,
    StockLevel,
    StockMovement,
)

# -- the stock side of allocations -------------------------------------------


def hold_stock(per_level: Mapping[int, int]) -> None:
    """Count `per_level[id]` more units of each stock level as allocated, in
    one statement. Expects the levels locked and the units free there (the
    plan was made from their locked figures); the CHECK constraints are the
    last guard."""
    add_to_column(StockLevel, "allocated", per_level)


def stage_hold_stock(batch: WriteBatch, per_level: Mapping[int, int]) -> None:
    """`hold_stock` queued on a write batch (the order path writes all its
    rows in one statement)."""
    batch.add(StockLevel, "allocated", per_level)


def release_stock(per_level: Mapping[int, int]) -> None:
    """Give `per_level[id]` allocated units of each stock level back to free
    stock, in one statement. Expects the levels locked."""
    add_to_column(StockLevel, "allocated", {k: -v for k, v in per_level.items()})


# -- on-hand stock and the ledger --------------------------------------------


@dataclass(frozen=True)
class StockIn:
    """`quantity` units arriving at a locked stock level."""

    level: StockLevel
    quantity: int


def receive_stock(*, rows: Sequence[StockIn], reference: str, note: str = "",
                  actor_id: int | None = None) -> list[int]:
    """Put stock on hand (a purchase-order receipt): each level's `on_hand`
    grows, one `received` movement per row. Expects the levels locked and
    the quantities checked against `MAX_QUANTITY`. Returns each row's
    on-hand after it, in order."""
    return add_stock(rows=rows, kind=MovementKind.RECEIVED, reference=reference, note=note,
                     actor_id=actor_id)


def add_stock(*, rows: Sequence[StockIn], kind: str, reason: str = "", reference: str = "",
              note: str = "", actor_id: int | None = None) -> list[int]:
    """`receive_stock` with another movement kind and reason (opening stock
    counted in, a benchmark's seed). No events: the caller writes the one
    that says why. Expects the levels locked; each row's level once."""
    after = [row.level.on_hand + row.quantity for row in rows]
    add_to_column(StockLevel, "on_hand", {row.level.id: row.quantity for row in rows})
    insert_instances([
        StockMovement(product_id=row.level.product_id, location_id=row.level.location_id,
                      quantity=row.quantity, on_hand_after=on_hand, kind=kind, reason=reason,
                      reference=reference, note=note, actor_id=actor_id)
        for row, on_hand in zip(rows, after, strict=True)])
    for row, on_hand in zip(rows, after, strict=True):
        row.level.on_hand = on_hand
    return after


def ship_stock(*, per_level: Mapping[int, int], reference: str,
               actor_id: int | None = None) -> None:
    """Allocated units leave the warehouse: each level's `on_hand` and
    `allocated` drop by `per_level[id]` in one statement, and one `shipped`
    movement per level is written. Expects the levels locked; the caller
    has taken the units out of their allocation rows."""
    per_level = {k: v for k, v in per_level.items() if v}
    if not per_level:
        return
    levels = {lv.id: lv for lv in StockLevel.objects.filter(id__in=list(per_level))}
    add_to_column(StockLevel, ("on_hand", "allocated"), {k: -v for k, v in per_level.items()})
    insert_instances([
        StockMovement(product_id=levels[k].product_id, location_id=levels[k].location_id,
                      quantity=-per_level[k], on_hand_after=levels[k].on_hand - per_level[k],
                      kind=MovementKind.SHIPPED, reference=reference, actor_id=actor_id)
        for k in sorted(per_level)])


@dataclass(frozen=True)
class Moved:
    sku: str
    source: str
    target: str
    quantity: int


def move_stock(*, product_id: int, source_id: int, target_id: int, quantity: int,
               reference: str = "", note: str = "", actor_id: int | None = None) -> Moved:
    """Move free units of a product from one location to another: two
    `transferred` movements and a `StockMoved` event. Locks both stock
    levels (in the global order). Less free at the source than asked:
    `inventory.insufficient_stock` (409); the same location, a quantity that
    is not positive: 422. Allocated units stay where they are."""
    if not 0 < quantity <= MAX_QUANTITY:
        raise InvalidValue("inventory.invalid_quantity",
                           f"quantity is a whole number from 1 to {MAX_QUANTITY}",
                           field="quantity")
    if source_id == target_id:
        raise InvalidValue("inventory.same_location", "source and target are the same location",
                           field="target")
    with transaction.atomic():
        product = Product.objects.filter(id=product_id).only("id", "sku").first()
        if product is None:
            raise NotFound("catalog.unknown_sku", "no such product", field="sku")
        places = {x.id: x for x in Location.objects.filter(id__in=[source_id, target_id])}
        for name, pk in (("source", source_id), ("target", target_id)):
            if pk not in places:
                raise NotFound("inventory.unknown_location", "no such location", field=name)
        ensure_stock_levels([(product_id, source_id), (product_id, target_id)])
        levels = {lv.location_id: lv for lv in lock_stock_levels(
            product_ids=[product_id], location_ids=[source_id, target_id])}
        source, target = levels[source_id], levels[target_id]
        if source.free < quantity:
            raise Conflict("inventory.insufficient_stock",
                           f"{product.sku} at {places[source_id].code} has {source.free} free: "
                           f"cannot move {quantity}", field="quantity")
        if target.on_hand + quantity > MAX_QUANTITY:
            raise InvalidValue("inventory.invalid_quantity",
                               f"on hand cannot exceed {MAX_QUANTITY}", field="quantity")
        add_to_column(StockLevel, "on_hand", {source.id: -quantity, target.id: quantity})
        insert_instances([
            StockMovement(product_id=product_id, location_id=lv.location_id, quantity=q,
                          on_hand_after=lv.on_hand + q, kind=MovementKind.TRANSFERRED,
                          reference=reference, note=note[:500], actor_id=actor_id)
            for lv, q in ((source, -quantity), (target, quantity))])
        record_event(type=EventType.STOCK_MOVED, subject_type="product", subject=product.sku,
                     actor_id=actor_id,
                     payload={"from": places[source_id].code, "to": places[target_id].code,
                              "quantity": quantity, "reference": reference})
    return Moved(product.sku, places[source_id].code, places[target_id].code, quantity)


@dataclass(frozen=True)
class HeldMove:
    """`quantity` units of one product leave `source` (a locked stock level)
    for `target` (another of the same product, locked); `allocated` of them
    are allocated units that stay allocated at the target."""

    source: StockLevel
    target: StockLevel
    quantity: int
    allocated: int


def move_held_stock(*, moves: Sequence[HeldMove], kind: str, reason: str = "",
                    reference: str = "", note: str = "", actor_id: int | None = None) -> None:
    """Move stock with its allocations between stock levels: each source's
    `on_hand` drops by `quantity` and `allocated` by `allocated`, each
    target's grow by the same, with one movement of `kind` on each side
    (`picked`: from a location into a tote and back; `adjusted` with reason
    `correction`: stock found somewhere else than recorded). Expects every
    level locked (`lock_stock_levels`), the source to hold the units, and
    the caller to move the allocation rows (`fillrate.orders`) the same way;
    the CHECK constraints are the last guard. No event: the caller writes
    the one that says why."""
    for move in moves:
        if move.quantity <= 0 or not 0 <= move.allocated <= move.quantity:
            raise ValueError(f"cannot move {move.quantity} units, {move.allocated} allocated")
    levels = [lv.id for m in moves for lv in (m.source, m.target)]
    if set_based() and len(levels) == len(set(levels)):
        _move_held_stock_in_one_statement(moves, kind=kind, reason=reason,
                                          reference=reference, note=note, actor_id=actor_id)
        return
    on_hand: dict[int, int] = {}
    held: dict[int, int] = {}
    rows = []
    for move in moves:
        for level, sign in ((move.source, -1), (move.target, 1)):
            on_hand[level.id] = on_hand.get(level.id, 0) + sign * move.quantity
            held[level.id] = held.get(level.id, 0) + sign * move.allocated
            level.on_hand += sign * move.quantity
            rows.append(StockMovement(
                product_id=level.product_id, location_id=level.location_id,
                quantity=sign * move.quantity, on_hand_after=level.on_hand, kind=kind,
                reason=reason, reference=reference, note=note[:500], actor_id=actor_id))
    add_to_columns(StockLevel, {"on_hand": on_hand, "allocated": held})
    insert_instances(rows)


def _move_held_stock_in_one_statement(moves: Sequence[HeldMove], *, kind: str, reason: str,
                                      reference: str, note: str,
                                      actor_id: int | None) -> None:
    """`move_held_stock` on PostgreSQL when each level appears once (a
    scan): the levels' UPDATE and the movements' INSERT as one statement,
    each movement's `on_hand_after` from the row the UPDATE returns."""
    deltas = []  # (order, level id, quantity, allocated)
    for move in moves:
        for level, sign in ((move.source, -1), (move.target, 1)):
            deltas.append((len(deltas), level.id, sign * move.quantity, sign * move.allocated))
            level.on_hand += sign * move.quantity
    levels, movements = table(StockLevel), table(StockMovement)
    values = ", ".join(["(%s::int, %s::bigint, %s::int, %s::int)"] * len(deltas))
    fetch(
        f"WITH d (ord, id, q, a) AS (VALUES {values}), "
        f"u AS (UPDATE {levels} sl SET on_hand = sl.on_hand + d.q, "
        f"allocated = sl.allocated + d.a FROM d WHERE sl.id = d.id "
        f"RETURNING sl.id, sl.product_id, sl.location_id, sl.on_hand) "
        f"INSERT INTO {movements} (product_id, location_id, quantity, on_hand_after, kind, "
        f"reason, note, reference, actor_id, created_at) "
        f"SELECT u.product_id, u.location_id, d.q, u.on_hand, %s, %s, %s, %s, %s, %s "
        f"FROM u JOIN d ON d.id = u.id ORDER BY d.ord RETURNING id",
        [x for row in deltas for x in row]
        # plain text, not the choices' enum members (which psycopg would send by name)
        + [str(kind), str(reason), note[:500], reference[:64], actor_id, timezone.now()])


@dataclass(frozen=True)
class Adjustment:
    movement_id: int
    sku: str
    location: str
    quantity: int
    on_hand: int
    allocated: int


def adjustment_location(*, product_id: int, quantity: int,
                        location_id: int | None = None) -> Location:
    """Where an adjustment lands: the named location, or without one, for a
    negative adjustment the sellable location with the most free stock of
    the product; for a positive one where the product already lives (first
    in pick sequence), else the first pick location. Unknown location: 404;
    none to put stock in: `inventory.no_location` (409)."""
    if location_id is not None:
        location = Location.objects.filter(id=location_id).first()
        if location is None:
            raise NotFound("inventory.unknown_location", "no such location", field="location")
        return location
    if quantity < 0:
        level = (
            StockLevel.objects.filter(product_id=product_id)
            .exclude(location__kind__in=(LocationKind.ISSUES, LocationKind.TOTE))
            .select_related("location")
            .order_by(F("allocated") - F("on_hand"), "location__pick_sequence")
            .first()
        )
        if level is not None:
            return level.location
    else:
        level = (
            StockLevel.objects.filter(product_id=product_id, location__kind=LocationKind.PICK,
                                      on_hand__gt=0)
            .select_related("location")
            .order_by("location__pick_sequence", "location_id")
            .first()
        )
        if level is not None:
            return level.location
    location = Location.objects.filter(kind=LocationKind.PICK, active=True).order_by(
        "pick_sequence", "id").first()
    if location is None:
        raise Conflict("inventory.no_location", "there is no pick location to put stock in",
                       field="location")
    return location


def validate_adjustment(*, quantity: int, reason: str) -> None:
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


@retry_on_lock_conflict
def adjust_stock(
    *, product_id: int, quantity: int, reason: str, location_id: int | None = None,
    note: str = "", kind: str | None = None, actor_id: int | None = None,
) -> Adjustment:
    """Change on-hand stock by `quantity` (positive or negative) with a reason.
    The movement is `counted` for a count, `adjusted` otherwise, or `kind`
    when given (`missing`: stock a supervisor confirmed missing).

    Locks the stock level (see `lock_stock_levels`). A negative adjustment may
    not take on-hand below zero or below what is allocated there:
    `inventory.insufficient_stock`, and nothing changes (stock that is lost
    while allocated goes through `fillrate.workflows.adjust_stock`, which
    first takes the units from their allocations). Writes one movement and a
    `StockAdjusted` event in the same transaction.
    """
    validate_adjustment(quantity=quantity, reason=reason)
    with transaction.atomic():
        product = Product.objects.filter(id=product_id).only("id", "sku").first()
        if product is None:
            raise NotFound("catalog.unknown_sku", "no such product", field="sku")
        location = adjustment_location(product_id=product_id, quantity=quantity,
                                       location_id=location_id)
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
        add_to_column(StockLevel, "on_hand", {level.id: quantity})
        kind = kind or (MovementKind.COUNTED if reason == AdjustmentReason.COUNT
                        else MovementKind.ADJUSTED)
        movement = StockMovement(
            product_id=product_id, location=location, quantity=quantity,
            on_hand_after=level.on_hand, kind=kind, reason=reason, note=note[:500],
            actor_id=actor_id,
        )
        insert_instances([movement])
        record_event(
            type=EventType.STOCK_ADJUSTED,
            subject_type="product", subject=product.sku, actor_id=actor_id,
            payload={"location": location.code, "quantity": quantity, "reason": reason,
                     "on_hand": level.on_hand, "note": note},
        )
    return Adjustment(movement_id=movement.id, sku=product.sku, location=location.code,
                      quantity=quantity, on_hand=level.on_hand, allocated=level.allocated)

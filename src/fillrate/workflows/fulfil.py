"""Turning allocated stock into fulfillments: a backorder's (all that is
allocated, or the quantities a person typed), every fulfillable backorder of
one product at once, and an order's own allocated units.

Locks, in the global order: stock levels of the products (product id order),
the order, its backorders, then lines. A unit already on a pending
fulfillment (queued up to packed, or on the issues wall) is not put on a
second one.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import transaction

from fillrate.backorders import lifecycle as backorder_lifecycle
from fillrate.backorders.models import Backorder, BackorderLine
from fillrate.backorders.services import lock_backorder
from fillrate.catalog.selectors import product_by_sku, require_known_sku
from fillrate.catalog.services import refuse_repeated_skus
from fillrate.core.business import business_settings
from fillrate.core.errors import Conflict, InvalidValue
from fillrate.core.numbers import MAX_QUANTITY
from fillrate.core.retry import retry_on_lock_conflict
from fillrate.fulfilment.models import Fulfillment
from fillrate.fulfilment.services import QueueLine, pending_quantities, queue_fulfillment
from fillrate.inventory.locks import lock_stock_levels
from fillrate.orders import services as orders
from fillrate.orders.models import OrderStatus, SalesOrder
from fillrate.orders.selectors import ready_to_ship


@dataclass(frozen=True)
class FulfilLine:
    sku: str
    quantity: int


def _validate(lines: Sequence[FulfilLine]) -> None:
    if not lines:
        raise InvalidValue("fulfilment.no_lines",
                           "name at least one line, or leave lines out to fulfil all that "
                           "is allocated", field="lines")
    refuse_repeated_skus([x.sku for x in lines], code="fulfilment.duplicate_sku")
    for i, line in enumerate(lines):
        if not 0 < line.quantity <= MAX_QUANTITY:
            raise InvalidValue("fulfilment.invalid_quantity",
                               "quantity must be a positive whole number",
                               field=f"lines[{i}].quantity")


def _fulfil_locked(backorder: Backorder, *, lines: Sequence[FulfilLine] | None,
                   product_id: int | None = None,
                   actor_id: int | None) -> Fulfillment | None:
    """Queue a backorder's allocated units (the backorder and its order are
    locked). With `lines` None: everything allocated and not yet on a pending
    fulfillment (None when there is nothing). Otherwise exactly those
    quantities; more than that is `fulfilment.over_allocated` (409)."""
    qs = BackorderLine.objects.filter(backorder_id=backorder.id)
    if product_id is not None:
        qs = qs.filter(product_id=product_id)
    bo_lines = list(qs.select_for_update(of=("self",)).select_related(
        "product", "order_line__product").order_by("id"))
    pending = pending_quantities(order_line_ids=[x.order_line_id for x in bo_lines])
    free = {x.id: x.allocated - pending.backorder.get(x.id, 0) for x in bo_lines}
    if lines is None:
        quantities = {k: v for k, v in free.items() if v > 0}
        if not quantities:
            return None
    else:
        by_sku = {x.product.sku.upper(): x for x in bo_lines}
        quantities: dict[int, int] = {}
        for i, wanted in enumerate(lines):
            line = by_sku.get(wanted.sku.strip().upper())
            if line is None:
                require_known_sku(wanted.sku, field=f"lines[{i}].sku")
                raise InvalidValue("fulfilment.unknown_line",
                                   f"{backorder.number} has no line for {wanted.sku}",
                                   field=f"lines[{i}].sku")
            total = quantities.get(line.id, 0) + wanted.quantity
            if total > free[line.id]:
                raise Conflict(
                    "fulfilment.over_allocated",
                    f"{line.product.sku}: {free[line.id]} allocated and not on a fulfillment "
                    f"yet, cannot fulfil {total}", field=f"lines[{i}].quantity")
            quantities[line.id] = total
    return queue_fulfillment(
        order_id=backorder.order_id, order_number=backorder.order.number,
        backorder_id=backorder.id, backorder_number=backorder.number, actor_id=actor_id,
        lines=[QueueLine(x.order_line, quantities[x.id], x.id)
               for x in bo_lines if quantities.get(x.id)])


def _check_open(backorder: Backorder) -> None:
    if backorder.status not in backorder_lifecycle.ACTIVE:
        raise Conflict("fulfilment.backorder_closed",
                       f"{backorder.number} is {backorder.status}")
    if backorder.order.status == OrderStatus.ON_HOLD:
        raise Conflict("fulfilment.order_on_hold",
                       f"{backorder.order.number} is on hold: release it before its "
                       f"backorder {backorder.number} ships")


@retry_on_lock_conflict
def fulfil_backorder(*, number: str, lines: Sequence[FulfilLine] | None = None,
                     ship_partly: bool = False,
                     actor_id: int | None = None) -> Fulfillment:
    """A fulfillment of a backorder's allocated units (seed 002's "All" when
    `lines` is None, its "Filled" quantities otherwise). With partial
    shipments off, "All" waits until the backorder is `ready`
    (`fulfilment.not_ready`) unless `ship_partly` (the customer asked for
    what is ready now). Nothing allocated: `fulfilment.nothing_to_fulfil`;
    a closed backorder: `fulfilment.backorder_closed`; its order on hold:
    `fulfilment.order_on_hold` (all 409)."""
    if lines is not None:
        _validate(lines)
    with transaction.atomic():
        backorder = lock_backorder(number)
        _check_open(backorder)
        if (lines is None and not ship_partly and not business_settings().partial_shipments
                and backorder.status != backorder_lifecycle.READY):
            raise Conflict("fulfilment.not_ready",
                           f"{number} is {backorder.status}: partial shipments are off, so it "
                           "ships when all of it is allocated")
        fulfillment = _fulfil_locked(backorder, lines=lines, actor_id=actor_id)
        if fulfillment is None:
            raise Conflict("fulfilment.nothing_to_fulfil",
                           f"{number} has no allocated stock that is not on a fulfillment yet")
    return fulfillment


@retry_on_lock_conflict
def fulfil_backorders_by_product(*, sku: str, actor_id: int | None = None) -> list[Fulfillment]:
    """Batch fulfilment (seed 003): one fulfillment per fulfillable backorder
    holding allocated units of this product, oldest backorder first, each with
    that product's units only. With partial shipments off only `ready`
    backorders go, and none of an order on hold. Nothing to fulfil:
    `fulfilment.nothing_to_fulfil` (409)."""
    with transaction.atomic():
        product = product_by_sku(sku)
        lock_stock_levels(product_ids=[product.id])
        pairs = set(BackorderLine.objects.filter(
            product_id=product.id, allocated__gt=0,
            backorder__status__in=backorder_lifecycle.ACTIVE,
        ).values_list("backorder_id", "backorder__order_id"))
        list(SalesOrder.objects.select_for_update(of=("self",)).filter(
            id__in=sorted({o for _, o in pairs})).order_by("id").values_list("id", flat=True))
        backorders = list(Backorder.objects.select_for_update(of=("self",)).filter(
            id__in=sorted({b for b, _ in pairs})).select_related("order").order_by("id"))
        partial = business_settings().partial_shipments
        made = []
        for backorder in backorders:
            if (backorder.status not in backorder_lifecycle.ACTIVE
                    or backorder.order.status == OrderStatus.ON_HOLD):
                continue
            if not partial and backorder.status != backorder_lifecycle.READY:
                continue
            fulfillment = _fulfil_locked(backorder, lines=None, product_id=product.id,
                                         actor_id=actor_id)
            if fulfillment is not None:
                made.append(fulfillment)
        if not made:
            raise Conflict("fulfilment.nothing_to_fulfil",
                           f"no backorder holds units of {product.sku} that can be "
                           "fulfilled now", field="sku")
    return made


@retry_on_lock_conflict
def fulfil_order(*, number: str, actor_id: int | None = None) -> Fulfillment:
    """A fulfillment of the order's own allocated units (stock reserved at
    placement), when shipping is allowed (`ready_to_ship`: not on hold or
    cancelled; a ship-complete order only when complete, and then its
    backorders' allocated units go on the same fulfillment).
    `fulfilment.not_ready_to_ship` or `fulfilment.nothing_to_fulfil` (409)."""
    with transaction.atomic():
        order, lines = orders.lock_order_with_lines(number)
        bo_lines = list(BackorderLine.objects.select_for_update(of=("self",)).filter(
            order_line__order_id=order.id,
            backorder__status__in=backorder_lifecycle.ACTIVE).order_by("id"))
        held: dict[int, int] = defaultdict(int)
        for bl in bo_lines:
            held[bl.order_line_id] += bl.allocated
        if not ready_to_ship(order, lines, held):
            raise Conflict("fulfilment.not_ready_to_ship",
                           f"{number} is {order.status}"
                           + (", ships complete" if order.ship_complete else "")
                           + ": it cannot ship now")
        pending = pending_quantities(order_line_ids=[x.id for x in lines])
        queue = []
        for line in lines:
            own = line.allocated - pending.own.get(line.id, 0)
            if own > 0:
                queue.append(QueueLine(line, own))
        if order.ship_complete:
            by_id = {x.id: x for x in lines}
            for bl in bo_lines:
                free = bl.allocated - pending.backorder.get(bl.id, 0)
                if free > 0:
                    queue.append(QueueLine(by_id[bl.order_line_id], free, bl.id))
        if not queue:
            raise Conflict("fulfilment.nothing_to_fulfil",
                           f"{number} has no allocated stock of its own that is not on a "
                           "fulfillment yet")
        fulfillment = queue_fulfillment(order_id=order.id, order_number=order.number,
                                        lines=queue, actor_id=actor_id)
    return fulfillment

"""Manual backorder (seed 001's BKO column): move part of order lines onto a
new backorder before picking starts, releasing their stock to other orders'
backorders waiting for it (invariant 3).

Units already on a pending fulfillment are not split: the warehouse has been
told to ship them. Such a split is refused (409 naming the fulfillment)
rather than shrinking the fulfillment behind the warehouse's back; cancel
the fulfillment first, or split fewer units."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import transaction

from fillrate.backorders.models import Backorder
from fillrate.backorders.services import ShortLine, open_backorder
from fillrate.core.errors import Conflict, InvalidValue
from fillrate.core.event_types import EventType
from fillrate.core.events import record_event
from fillrate.core.retry import retry_on_lock_conflict
from fillrate.fulfilment.services import fulfillments_carrying, pending_quantities
from fillrate.orders import services as orders
from fillrate.workflows.feeding import feed_and_requeue


@dataclass(frozen=True)
class SplitLine:
    line: int  # order line id
    quantity: int


@retry_on_lock_conflict
def backorder_order_lines(
    *, number: str, lines: Sequence[SplitLine], expected_date: dt.date | None = None,
    reason: str = "", notes: str = "", actor_id: int | None = None,
) -> Backorder:
    """Each line gives up to what it holds that is not shipped, cancelled or
    already on a backorder (unallocated units first, then its allocation).
    More than that: 422 naming `lines[i].quantity`. Units on a pending
    fulfillment: `orders.units_on_fulfillment` (409, naming it). Orders
    whose picking has started: `orders.picking_started` (409). The released
    stock goes to other orders' waiting backorders by the allocation policy,
    in the same transaction (this order's own are passed over)."""
    if not lines:
        raise InvalidValue("orders.no_lines", "name at least one line to backorder",
                           field="lines")
    for i, s in enumerate(lines):
        if s.quantity <= 0:
            raise InvalidValue("orders.invalid_quantity", "quantity must be positive",
                               field=f"lines[{i}].quantity")
    with transaction.atomic():
        order, order_lines = orders.lock_order_with_lines(number)
        orders.ensure_open(order)
        orders.ensure_not_picking(order)
        by_id = {x.id: x for x in order_lines}
        pending = pending_quantities(order_line_ids=list(by_id)).own
        wanted: dict[int, int] = defaultdict(int)
        for i, s in enumerate(lines):
            line = by_id.get(s.line)
            if line is None:
                raise InvalidValue("orders.unknown_line", f"{order.number} has no line {s.line}",
                                   field=f"lines[{i}].line")
            wanted[line.id] += s.quantity
            movable = line.unallocated + line.allocated
            if wanted[line.id] > movable:
                raise InvalidValue(
                    "orders.quantity_exceeds_line",
                    f"line {line.line_no} ({line.product.sku}) can put at most {movable} on "
                    "backorder", field=f"lines[{i}].quantity")
            queued = pending.get(line.id, 0)
            if wanted[line.id] > movable - queued:
                numbers = ", ".join(fulfillments_carrying(order_line_ids=[line.id])[line.id])
                raise Conflict(
                    "orders.units_on_fulfillment",
                    f"line {line.line_no} ({line.product.sku}): {queued} of its units are on "
                    f"{numbers}, so at most {movable - queued} can go on backorder; cancel "
                    f"{numbers} first to split more", field=f"lines[{i}].quantity")
        release = {}
        for line_id, qty in wanted.items():
            line = by_id[line_id]
            from_unallocated = min(qty, line.unallocated)
            release[line_id] = qty - from_unallocated
            orders.move_units(line, from_unallocated, source="unallocated", target="backordered")
            orders.move_units(line, qty - from_unallocated, source="allocated",
                              target="backordered")
        orders.release_allocations(release)
        orders.save_line_counters(order_lines)
        backorder = open_backorder(
            order=order, lines=[ShortLine(by_id[k], q) for k, q in wanted.items()],
            expected_date=expected_date, reason=reason or "split by hand", notes=notes,
            split_by_hand=True, actor_id=actor_id)
        orders.refresh_status(order, order_lines)
        # The released stock goes to other orders' waiting backorders first
        # (handing it to this order's own backorders would undo the split);
        # the feed also promises incoming supply to the new backorder's lines.
        own = Backorder.objects.filter(order_id=order.id).values_list("id", flat=True)
        feed_and_requeue(product_ids={by_id[k].product_id for k in wanted}, actor_id=actor_id,
                        cause=backorder.number, passed_over=list(own),
                        changed_backorders=[backorder.id])
        record_event(type=EventType.ORDER_SPLIT, subject_type="order", subject=order.number,
                     actor_id=actor_id,
                     payload={"backorder": backorder.number,
                              "released": sum(release.values()),
                              "lines": [{"line": k, "quantity": q} for k, q in wanted.items()]})
    return backorder

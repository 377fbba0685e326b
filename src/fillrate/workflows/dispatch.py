"""Shipping a fulfillment: stock leaves, lines count it as shipped (order)
and fulfilled (backorder), statuses follow, an invoice is issued. Also
cancelling a pending fulfillment and marking a dispatched one delivered.

Locks, in the global order: the fulfillment's products' stock levels
(product id order), the order, its backorders, the fulfillment, then lines.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from django.db import transaction

from fillrate.backorders.models import Backorder, BackorderLine
from fillrate.backorders.services import move_backorder_units, refresh_backorder_status
from fillrate.core.business import business_settings
from fillrate.core.errors import Conflict, DomainError, InvalidValue, NotFound
from fillrate.core.event_types import EventType
from fillrate.core.events import record_event
from fillrate.core.retry import retry_on_lock_conflict
from fillrate.fulfilment import lifecycle
from fillrate.fulfilment.models import Fulfillment, FulfillmentLine
from fillrate.fulfilment.services import (
    fulfillment_id,
    issue_invoice,
    lock_fulfillment,
    move_fulfillment,
    ship_allocations,
)
from fillrate.inventory.locks import lock_stock_levels
from fillrate.orders import services as orders
from fillrate.orders.models import OrderStatus, SalesOrder
from fillrate.picking.selectors import picked_units
from fillrate.picking.services import put_back_picks
from fillrate.picking.totes import leave_tote


def _order_of(number: str) -> tuple[int, int]:
    fid = fulfillment_id(number)
    order_pk = Fulfillment.objects.filter(id=fid).values_list("order_id", flat=True).first()
    if order_pk is None:
        raise NotFound("fulfilment.not_found", f"no fulfillment {number!r}")
    return fid, order_pk


@retry_on_lock_conflict
def dispatch_fulfillment(*, number: str, carrier: str = "", tracking_number: str = "",
                         actor_id: int | None = None) -> Fulfillment:
    """Ship a pending fulfillment now.

    Its order lines' allocation rows shrink, the stock levels' on-hand and
    allocated drop with one `shipped` movement per stock level; order lines
    move the units to shipped (their own from `allocated`, a backorder's from
    `backordered`), backorder lines from allocated to fulfilled; backorder
    and order statuses follow their lines. Writes
    `FulfillmentDispatched`, `BackorderFulfilled` per backorder,
    `OrderShipped` and `InvoiceIssued` (one invoice per fulfillment, at the
    locked prices). Not pending: `fulfilment.invalid_transition`; order on
    hold or cancelled: `fulfilment.order_not_shippable`; units no longer
    allocated: `fulfilment.not_allocated`; with the business setting
    `pick_workflow` on, anything not `packed`: `fulfilment.not_packed` (all
    409, nothing changes). Units picked into a tote ship from there.
    """
    with transaction.atomic():
        fid, order_pk = _order_of(number)
        lines = list(FulfillmentLine.objects.filter(fulfillment_id=fid).select_related(
            "backorder_line", "product").order_by("id"))
        lock_stock_levels(product_ids=[x.product_id for x in lines])
        order = SalesOrder.objects.select_for_update(of=("self",)).select_related(
            "customer").get(id=order_pk)
        backorder_ids = sorted({x.backorder_line.backorder_id for x in lines
                                if x.backorder_line_id})
        backorders = list(Backorder.objects.select_for_update(of=("self",)).filter(
            id__in=backorder_ids).order_by("id"))
        fulfillment = lock_fulfillment(fid)
        lifecycle.check(fulfillment.status, lifecycle.DISPATCHED)
        if (business_settings().pick_workflow == "on"
                and fulfillment.status != lifecycle.PACKED):
            raise Conflict("fulfilment.not_packed",
                           f"{number} is {fulfillment.status}: with the pick workflow on, "
                           "only packed fulfillments are dispatched")
        if order.status in (OrderStatus.ON_HOLD, OrderStatus.CANCELLED):
            raise Conflict("fulfilment.order_not_shippable",
                           f"{order.number} is {order.status}: release it before dispatching")
        order_lines = {x.id: x for x in orders.lines_of(order.id, lock=True)}
        bo_lines = {x.id: x for x in BackorderLine.objects.select_for_update(of=("self",))
                    .filter(order_line__order_id=order.id).order_by("id")}

        per_order_line: dict[int, int] = defaultdict(int)
        own: dict[int, int] = defaultdict(int)
        per_bo_line: dict[int, int] = defaultdict(int)
        for line in lines:
            per_order_line[line.order_line_id] += line.quantity
            if line.backorder_line_id:
                per_bo_line[line.backorder_line_id] += line.quantity
            else:
                own[line.order_line_id] += line.quantity
        short = sorted({order_lines[bo_lines[k].order_line_id].product.sku
                        for k, q in per_bo_line.items() if bo_lines[k].allocated < q}
                       | {order_lines[k].product.sku for k, q in own.items()
                          if order_lines[k].allocated < q})
        if short:
            raise Conflict("fulfilment.not_allocated",
                           f"{number}: {', '.join(short)} no longer allocated (the order or "
                           "backorder changed); cancel it and fulfil again")

        ship_allocations(dict(per_order_line), reference=number,
                         picked=picked_units(fulfillment.id), actor_id=actor_id)
        for ol_id, qty in own.items():
            orders.move_units(order_lines[ol_id], qty, source="allocated", target="shipped")
        for bl_id, qty in per_bo_line.items():
            move_backorder_units(bo_lines[bl_id], qty, source="allocated", target="fulfilled")
            orders.move_units(order_lines[bo_lines[bl_id].order_line_id], qty,
                              source="backordered", target="shipped")
        orders.save_line_counters(order_lines.values())
        BackorderLine.objects.bulk_update([bo_lines[k] for k in per_bo_line],
                                          ["allocated", "fulfilled"])
        for backorder in backorders:
            its_lines = [x for x in bo_lines.values() if x.backorder_id == backorder.id]
            status = refresh_backorder_status(backorder, its_lines)
            record_event(
                type=EventType.BACKORDER_FULFILLED,
                subject_type="backorder", subject=backorder.number,
                actor_id=actor_id,
                payload={"fulfillment": number, "status": status,
                         "lines": [{"sku": line.product.sku, "quantity": line.quantity}
                                   for line in lines
                                   if line.backorder_line_id
                                   and line.backorder_line.backorder_id == backorder.id]})
        status = orders.refresh_status(order, order_lines.values())
        move_fulfillment(fulfillment, lifecycle.DISPATCHED, actor_id=actor_id,
                         carrier=carrier, tracking_number=tracking_number)
        leave_tote(fulfillment_id=fulfillment.id, actor_id=actor_id)
        record_event(type=EventType.ORDER_SHIPPED, subject_type="order", subject=order.number,
                     actor_id=actor_id,
                     payload={"fulfillment": number, "status": status,
                              "lines": [{"sku": x.product.sku, "quantity": x.quantity}
                                        for x in lines]})
        fulfillment.order = order
        issue_invoice(fulfillment=fulfillment, lines=lines, order_lines=order_lines,
                      customer_id=order.customer_id,
                      payment_terms=order.customer.payment_terms, actor_id=actor_id)
    return fulfillment


MAX_BATCH = 500


def dispatch_fulfillments(*, numbers: Sequence[str], carrier: str = "",
                          tracking_number: str = "",
                          actor_id: int | None = None) -> list[Fulfillment]:
    """Dispatch several fulfillments at once with one carrier (and, when
    given, one tracking number), all or none: the first that cannot go
    stops the batch and nothing is dispatched (its error names it, with
    `fulfillments[i]` as the field). No numbers, a repeated one, more than
    500: 422."""
    if not isinstance(numbers, list | tuple) or not numbers:
        raise InvalidValue("fulfilment.no_fulfillments", "name at least one fulfillment",
                           field="fulfillments")
    if len(numbers) > MAX_BATCH:
        raise InvalidValue("fulfilment.too_many_fulfillments",
                           f"at most {MAX_BATCH} fulfillments at once", field="fulfillments")
    ids: list[int] = []
    for i, number in enumerate(numbers):
        try:
            pk = fulfillment_id(number)
        except NotFound as error:
            raise NotFound(error.code, error.message, field=f"fulfillments[{i}]") from None
        if pk in ids:
            raise InvalidValue("fulfilment.duplicate_fulfillment", f"{number} is named twice",
                               field=f"fulfillments[{i}]")
        ids.append(pk)
    with transaction.atomic():
        # Every stock level first, in the global order, so the batch takes
        # its locks as one change would.
        lock_stock_levels(product_ids=set(FulfillmentLine.objects.filter(
            fulfillment_id__in=ids).values_list("product_id", flat=True)))
        out = []
        for i, number in enumerate(numbers):
            try:
                out.append(dispatch_fulfillment(number=number, carrier=carrier,
                                                tracking_number=tracking_number,
                                                actor_id=actor_id))
            except DomainError as error:
                raise type(error)(error.code, f"{number}: {error.message}",
                                  field=f"fulfillments[{i}]") from None
    return out


@retry_on_lock_conflict
def cancel_fulfillment(*, number: str, actor_id: int | None = None) -> Fulfillment:
    """Take a pending fulfillment out of the queue; its units stay allocated
    (any picked into a tote go back to their shelves) and can be fulfilled
    again. Dispatched, delivered or cancelled:
    `fulfilment.invalid_transition` (409)."""
    with transaction.atomic():
        fid, order_pk = _order_of(number)
        # Units picked into a tote go back to their shelves: their stock
        # levels are locked first, in the global order.
        lock_stock_levels(product_ids=FulfillmentLine.objects.filter(
            fulfillment_id=fid).values_list("product_id", flat=True))
        SalesOrder.objects.select_for_update(of=("self",)).filter(id=order_pk).first()
        fulfillment = lock_fulfillment(fid)
        move_fulfillment(fulfillment, lifecycle.CANCELLED, actor_id=actor_id)
        put_back_picks(fulfillment_ids=[fulfillment.id], actor_id=actor_id)
        leave_tote(fulfillment_id=fulfillment.id, actor_id=actor_id)
    return fulfillment


@retry_on_lock_conflict
def deliver_fulfillment(*, number: str, actor_id: int | None = None) -> Fulfillment:
    """Record that a dispatched fulfillment arrived (`fulfilment.invalid_transition`
    from any other state)."""
    with transaction.atomic():
        fid, _ = _order_of(number)
        fulfillment = lock_fulfillment(fid)
        move_fulfillment(fulfillment, lifecycle.DELIVERED, actor_id=actor_id)
    return fulfillment



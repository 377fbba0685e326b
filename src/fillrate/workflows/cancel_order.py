"""Cancelling a whole order: its allocations go back to free stock and its
open backorders are cancelled (reason `customer_requested`); what has shipped
stays shipped. The stock it frees goes to other backorders waiting for those
products first (invariant 3)."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from fillrate.backorders import lifecycle
from fillrate.backorders.feeding import feed_backorders
from fillrate.backorders.models import Backorder, BackorderLine, CancelReason
from fillrate.backorders.services import cancel_backorder_units
from fillrate.core.errors import Conflict
from fillrate.core.event_types import EventType
from fillrate.core.events import record_events
from fillrate.core.retry import retry_on_lock_conflict
from fillrate.fulfilment.services import cancel_pending_fulfillments, fulfillment_id
from fillrate.orders import money
from fillrate.orders import services as orders
from fillrate.orders.models import OrderStatus, SalesOrder
from fillrate.orders.money import credit_overpayment
from fillrate.picking.services import put_back_picks


@retry_on_lock_conflict
def cancel_order(*, number: str, notes: str = "", actor_id: int | None = None) -> SalesOrder:
    """Raises `orders.invalid_transition` (409) for a cancelled or fulfilled order."""
    with transaction.atomic():
        order, lines = orders.lock_order_with_lines(number)
        if order.status in (OrderStatus.CANCELLED, OrderStatus.FULFILLED):
            raise Conflict("orders.invalid_transition",
                           f"{order.number} is {order.status} and cannot be cancelled")
        by_id = {x.id: x for x in lines}
        events = []
        backorders = list(Backorder.objects.select_for_update(of=("self",)).filter(
            order_id=order.id, status__in=lifecycle.ACTIVE).order_by("id"))
        for backorder in backorders:
            bo_lines = list(BackorderLine.objects.select_for_update(of=("self",)).filter(
                backorder=backorder).order_by("id"))
            cancel_backorder_units(backorder=backorder, lines=bo_lines, order_lines=by_id,
                                   quantities={x.id: x.open_quantity for x in bo_lines})
            Backorder.objects.filter(id=backorder.id).update(
                status=lifecycle.CANCELLED, cancelled_at=timezone.now(),
                cancel_reason=CancelReason.CUSTOMER_REQUESTED,
                cancel_notes=notes or f"order {order.number} cancelled")
            events.append({"type": EventType.BACKORDER_CANCELLED, "subject_type": "backorder",
                           "subject": backorder.number, "actor_id": actor_id,
                           "payload": {"reason": CancelReason.CUSTOMER_REQUESTED,
                                       "order": order.number}})
        cancelled = cancel_pending_fulfillments(order_id=order.id, actor_id=actor_id)
        # Units picked into totes go back to their shelves before they are freed.
        put_back_picks(fulfillment_ids=[fulfillment_id(n) for n in cancelled],
                       actor_id=actor_id)
        orders.release_allocations({x.id: x.allocated for x in lines})
        for line in lines:
            for bucket in ("allocated", "unallocated", "backordered"):
                units = line.unallocated if bucket == "unallocated" else getattr(line, bucket)
                orders.move_units(line, units, source=bucket, target="cancelled")
        orders.save_line_counters(lines)
        order.status = OrderStatus.CANCELLED
        order.cancelled_at = timezone.now()
        order.save(update_fields=["status", "cancelled_at"])
        events.append({"type": EventType.ORDER_CANCELLED, "subject_type": "order",
                       "subject": order.number, "actor_id": actor_id,
                       "payload": {"notes": notes,
                                   "backorders": [b.number for b in backorders]}})
        record_events(events)
        credit_overpayment(order_id=order.id, reason=money.ORDER_CANCELLED,
                           source=order.number, actor_id=actor_id)
        feed_backorders(product_ids=[x.product_id for x in lines], actor_id=actor_id,
                        cause=order.number)
    return order

"""The oversold list's decisions (seed 000): an order held because stock ran
short is backordered, has its shortfall cancelled, or is released to wait as
a whole. Each first tries to allocate the shortfall from stock that may have
arrived since."""

from __future__ import annotations

from django.db import transaction

from fillrate.backorders.feeding import repromise
from fillrate.backorders.models import Backorder
from fillrate.backorders.services import ShortLine, open_backorder
from fillrate.core.errors import Conflict, InvalidValue
from fillrate.core.event_types import EventType
from fillrate.core.events import record_event
from fillrate.core.retry import retry_on_lock_conflict
from fillrate.orders import money
from fillrate.orders import services as orders
from fillrate.orders.models import OrderStatus, SalesOrder
from fillrate.orders.money import credit_overpayment

ACTIONS = ("backorder", "cancel", "wait")


@retry_on_lock_conflict
def resolve_oversold(*, number: str, action: str, actor_id: int | None = None) -> SalesOrder:
    """`backorder`: the shortfall becomes a backorder and what is in stock can
    ship. `cancel`: what is still short is cancelled. `wait`: the shortfall becomes
    a backorder and the order ships only when complete. Each releases the
    hold. An order that is not oversold: `orders.not_oversold` (409)."""
    if action not in ACTIONS:
        raise InvalidValue("orders.invalid_action", f"action must be one of {', '.join(ACTIONS)}",
                           field="action")
    with transaction.atomic():
        order, lines = orders.lock_order_with_lines(number)
        short_lines = [x for x in lines if x.unallocated > 0]
        if order.status != OrderStatus.ON_HOLD or not short_lines:
            raise Conflict("orders.not_oversold", f"{order.number} is not on the oversold list")
        backorder: Backorder | None = None
        orders.allocate_lines(short_lines, {x.id: x.unallocated for x in short_lines})
        if action == "cancel":
            for line in short_lines:
                orders.move_units(line, line.unallocated, source="unallocated",
                                  target="cancelled")
        else:
            # Only what is still unallocated goes on the new backorder: units a
            # split put on a backorder earlier are already waiting there.
            still_short = [ShortLine(x, x.unallocated) for x in short_lines if x.unallocated]
            for s in still_short:
                orders.move_units(s.order_line, s.quantity, source="unallocated",
                                  target="backordered")
            if still_short:
                backorder = open_backorder(order=order, lines=still_short, actor_id=actor_id,
                                           reason=f"oversold order: {action}")
                repromise(product_ids={s.order_line.product_id for s in still_short},
                          actor_id=actor_id, cause=backorder.number)
        orders.save_line_counters(lines)
        if action == "wait":
            order.ship_complete = True
            SalesOrder.objects.filter(id=order.id).update(ship_complete=True)
        order.status = OrderStatus.OPEN  # the hold ends; the lines say the rest
        SalesOrder.objects.filter(id=order.id).update(status=order.status)
        orders.refresh_status(order, lines)
        record_event(type=EventType.OVERSOLD_ORDER_RESOLVED,
                     subject_type="order", subject=order.number,
                     actor_id=actor_id,
                     payload={"action": action,
                              "backorder": backorder.number if backorder else None})
        if action == "cancel":
            credit_overpayment(order_id=order.id, reason=money.SHORTFALL_CANCELLED,
                               source=order.number, actor_id=actor_id)
    return order


@retry_on_lock_conflict
def hold_order(*, number: str, actor_id: int | None = None) -> SalesOrder:
    with transaction.atomic():
        order = orders.lock_order(number)
        if order.status in (OrderStatus.CANCELLED, OrderStatus.FULFILLED, OrderStatus.ON_HOLD):
            raise Conflict("orders.invalid_transition",
                           f"{order.number} is {order.status} and cannot be put on hold")
        order.status = OrderStatus.ON_HOLD
        order.save(update_fields=["status"])
        record_event(type=EventType.ORDER_HELD, subject_type="order", subject=order.number,
                     actor_id=actor_id, payload={"requested": True})
    return order


@retry_on_lock_conflict
def release_order(*, number: str, actor_id: int | None = None) -> SalesOrder:
    """Release a hold. An oversold order is released to wait (see above)."""
    with transaction.atomic():
        order, lines = orders.lock_order_with_lines(number)
        if order.status != OrderStatus.ON_HOLD:
            raise Conflict("orders.invalid_transition", f"{order.number} is not on hold")
        if any(x.unallocated for x in lines):
            return resolve_oversold(number=number, action="wait", actor_id=actor_id)
        order.status = OrderStatus.OPEN
        SalesOrder.objects.filter(id=order.id).update(status=order.status)
        orders.refresh_status(order, lines)
        record_event(type=EventType.ORDER_RELEASED, subject_type="order", subject=order.number,
                     actor_id=actor_id, payload={})
    return order

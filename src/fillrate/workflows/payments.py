"""Recording what a customer paid against an order."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction

from fillrate.backorders.selectors import order_view
from fillrate.core.business import business_settings
from fillrate.core.errors import Conflict, InvalidValue
from fillrate.core.event_types import EventType
from fillrate.core.events import record_event
from fillrate.core.retry import retry_on_lock_conflict
from fillrate.orders.models import RefundMethod
from fillrate.orders.money import order_money, record_refund
from fillrate.orders.selectors import order_totals
from fillrate.orders.services import lock_order, record_payment


@retry_on_lock_conflict
def pay_order(*, number: str, amount: Decimal | None = None,
              actor_id: int | None = None) -> Decimal:
    """Record a payment of `amount` (default: all that is due now). Nothing
    due: `orders.nothing_due`; more than due: `orders.overpayment` (409)."""
    with transaction.atomic():
        order = lock_order(number)
        view = order_view(number)
        due = order_totals(
            lines=view.lines, amount_paid=order.amount_paid,
            charge_backorders_on_shipment=business_settings().charge_backorders_on_shipment,
            credited=order_money(order.id).credited,
        ).amount_due
        if due <= 0:
            raise Conflict("orders.nothing_due", f"{number}: nothing is due", field="amount")
        amount = due if amount is None else amount
        if amount > due:
            raise Conflict("orders.overpayment", f"{number}: amount due is {due}",
                           field="amount")
        record_payment(order_id=order.id, amount=amount)
        record_event(type=EventType.PAYMENT_RECORDED, subject_type="order", subject=order.number,
                     actor_id=actor_id, payload={"amount": amount, "due_before": due})
    return amount


@retry_on_lock_conflict
def refund_order(*, number: str, amount: Decimal, method: str, reference: str = "",
                 actor_id: int | None = None):
    """Record `amount` paid back to the customer against the order's credits
    (`fillrate.orders.money`). An unknown method or an amount that is not
    positive: 422; nothing owed back: `orders.nothing_owed`; more than is
    owed: `orders.refund_exceeds_credit` (409). Locks the order."""
    if method not in RefundMethod.values:
        raise InvalidValue("orders.invalid_refund_method",
                           f"method must be one of {', '.join(RefundMethod.values)}",
                           field="method")
    if amount <= 0:
        raise InvalidValue("orders.invalid_amount", "amount must be more than 0",
                           field="amount")
    with transaction.atomic():
        order = lock_order(number)
        owed = order_money(order.id).owed_back
        if owed <= 0:
            raise Conflict("orders.nothing_owed", f"{number}: nothing is owed back",
                           field="amount")
        if amount > owed:
            raise Conflict("orders.refund_exceeds_credit",
                           f"{number}: {owed} is owed back, cannot refund {amount}",
                           field="amount")
        return record_refund(order_id=order.id, amount=amount, method=method,
                             reference=reference.strip(), actor_id=actor_id)

"""Money owed back: credits for units the customer paid for and will not
get, and refunds that pay credits back.

What an order owes back is the part of what was paid that no longer buys
anything: `amount_paid - credited - kept`, where `kept` is the value of
every unit not cancelled (shipped, held, waiting, on hold) at its line's
locked price. Every path that cancels units (or replaces them with cheaper
ones) calls `credit_overpayment` afterwards, in its transaction, so a
credit is issued once for exactly the paid-for units taken away; a credit
never exceeds what was paid, and an unpaid order gets none (under
`charge_backorders_on_shipment` a customer is not charged for backordered
units until they ship, so cancelling those owes nothing back).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import DecimalField, F, Sum
from django.db.models.functions import Coalesce

from fillrate.core.event_types import EventType
from fillrate.core.events import record_event
from fillrate.orders.models import Credit, OrderLine, Refund, SalesOrder

ZERO = Decimal("0.00")

# Why a credit was issued (`Credit.reason`).
BACKORDER_CANCELLED = "backorder_cancelled"
ORDER_CANCELLED = "order_cancelled"
SHORTFALL_CANCELLED = "shortfall_cancelled"
SUBSTITUTED = "substituted"
SHORT_SHIPPED = "short_shipped"
CREDIT_REASONS = (BACKORDER_CANCELLED, ORDER_CANCELLED, SHORTFALL_CANCELLED, SUBSTITUTED,
                  SHORT_SHIPPED)

_MONEY = DecimalField(max_digits=14, decimal_places=2)


def _sum(qs, expression) -> Decimal:
    value = qs.aggregate(n=Coalesce(Sum(expression, output_field=_MONEY), ZERO,
                                    output_field=_MONEY))["n"]
    # SQLite sums decimals as floats: give money its two places back.
    return Decimal(value).quantize(Decimal("0.01"))


@dataclass(frozen=True)
class OrderMoney:
    credited: Decimal  # credits issued
    refunded: Decimal  # paid back

    @property
    def owed_back(self) -> Decimal:
        return max(self.credited - self.refunded, ZERO)


def order_money(order_id: int) -> OrderMoney:
    return OrderMoney(credited=_sum(Credit.objects.filter(order_id=order_id), F("amount")),
                      refunded=_sum(Refund.objects.filter(order_id=order_id), F("amount")))


def kept_value(order_id: int) -> Decimal:
    """The value of the order's units that are not cancelled."""
    return _sum(OrderLine.objects.filter(order_id=order_id),
                F("unit_price") * (F("quantity") - F("cancelled")))


def credit_overpayment(*, order_id: int, reason: str, source: str = "",
                       actor_id: int | None = None) -> Credit | None:
    """Issue a credit for what the order's customer paid beyond the value of
    the units still coming to them (nothing when there is no such excess).
    Call after the units moved and the lines were saved, holding the order's
    lock; writes `CreditIssued`."""
    if reason not in CREDIT_REASONS:
        raise ValueError(f"unknown credit reason {reason!r}")
    paid = SalesOrder.objects.filter(id=order_id).values_list("amount_paid", flat=True).get()
    if not paid:
        return None
    excess = paid - order_money(order_id).credited - kept_value(order_id)
    if excess <= 0:
        return None
    credit = Credit.objects.create(order_id=order_id, amount=excess, reason=reason,
                                   source=source[:100], created_by_id=actor_id)
    order_number = SalesOrder(pk=order_id).number
    record_event(type=EventType.CREDIT_ISSUED, subject_type="order", subject=order_number,
                 actor_id=actor_id,
                 payload={"credit": credit.number, "amount": excess, "reason": reason,
                          "source": source})
    return credit


def record_refund(*, order_id: int, amount: Decimal, method: str, reference: str = "",
                  actor_id: int | None = None) -> Refund:
    """Record money paid back (the caller validated it against `owed_back`
    holding the order's lock); writes `RefundRecorded`."""
    refund = Refund.objects.create(order_id=order_id, amount=amount, method=method,
                                   reference=reference, created_by_id=actor_id)
    record_event(type=EventType.REFUND_RECORDED, subject_type="order",
                 subject=SalesOrder(pk=order_id).number, actor_id=actor_id,
                 payload={"refund": refund.number, "amount": amount, "method": method,
                          "reference": reference})
    return refund


@dataclass(frozen=True)
class CustomerMoney:
    credits: list[Credit]  # newest first
    refunds: list[Refund]  # newest first
    credited: Decimal
    refunded: Decimal

    @property
    def owed_back(self) -> Decimal:
        return max(self.credited - self.refunded, ZERO)


def customer_money(customer_id: int, *, recent: int = 20) -> CustomerMoney:
    """A customer's latest credits and refunds, and their totals: two
    queries however many there are."""
    credits = list(Credit.objects.filter(order__customer_id=customer_id)
                   .select_related("order").order_by("-id"))
    refunds = list(Refund.objects.filter(order__customer_id=customer_id)
                   .select_related("order").order_by("-id"))
    return CustomerMoney(credits=credits[:recent], refunds=refunds[:recent],
                         credited=sum((c.amount for c in credits), ZERO),
                         refunded=sum((r.amount for r in refunds), ZERO))

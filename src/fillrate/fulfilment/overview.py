"""One customer's business at a glance: orders, open backorders,
fulfillments, invoices and what they owe. Read-only; a few queries whatever
the numbers of rows."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import DecimalField, F, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from fillrate.backorders.selectors import BackorderFilters, backorders
from fillrate.fulfilment.models import Fulfillment, Invoice
from fillrate.orders.models import OrderStatus, SalesOrder

RECENT = 20
MONEY = DecimalField(max_digits=16, decimal_places=2)


@dataclass(frozen=True)
class CustomerOverview:
    orders: list[SalesOrder]        # newest first, at most RECENT
    order_count: int
    backorders: list                # active, oldest first, with `open_quantity`, `value`
    fulfillments: list[Fulfillment]  # newest first, at most RECENT
    invoices: list[Invoice]         # newest first, at most RECENT
    invoice_count: int
    amount_owed: Decimal


def invoiced_not_paid(*, customer_id: int) -> Decimal:
    """What the customer owes: for each of their orders, what its invoices
    total beyond what was paid against it (payments are recorded per order;
    an order paid ahead of shipping owes nothing and credits no other)."""
    invoiced = Subquery(Invoice.objects.filter(order_id=OuterRef("pk")).values("order_id")
                        .annotate(n=Sum("total")).values("n")[:1], output_field=MONEY)
    owed = (SalesOrder.objects.filter(customer_id=customer_id)
            .exclude(status=OrderStatus.CANCELLED)
            .annotate(invoiced=Coalesce(invoiced, Value(Decimal("0")), output_field=MONEY))
            .filter(invoiced__gt=F("amount_paid"))
            .aggregate(n=Sum(F("invoiced") - F("amount_paid"), output_field=MONEY))["n"])
    return owed or Decimal("0.00")


def customer_overview(*, customer_id: int, customer_code: str) -> CustomerOverview:
    orders = SalesOrder.objects.filter(customer_id=customer_id).order_by("-id")
    invoices = Invoice.objects.filter(customer_id=customer_id).select_related(
        "order", "fulfillment").order_by("-id")
    return CustomerOverview(
        orders=list(orders[:RECENT]),
        order_count=orders.count(),
        backorders=list(backorders(BackorderFilters(status="active", customer=customer_code))
                        .order_by("created_at", "id")),
        fulfillments=list(Fulfillment.objects.filter(order__customer_id=customer_id)
                          .select_related("order", "invoice").order_by("-id")[:RECENT]),
        invoices=list(invoices[:RECENT]),
        invoice_count=invoices.count(),
        amount_owed=invoiced_not_paid(customer_id=customer_id),
    )

"""Read queries over fulfillments and invoices, and the invoice CSV layout."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from django.db.models import Prefetch, QuerySet

from fillrate.backorders.services import backorder_id
from fillrate.core.errors import InvalidValue, NotFound
from fillrate.fulfilment.models import (
    Fulfillment,
    FulfillmentLine,
    FulfillmentStatus,
    Invoice,
    InvoiceLine,
)
from fillrate.fulfilment.services import fulfillment_id, invoice_id
from fillrate.orders.services import order_id


def _with_lines(qs: QuerySet[Fulfillment]) -> QuerySet[Fulfillment]:
    return qs.select_related("order", "order__customer", "backorder", "invoice").prefetch_related(
        Prefetch("lines", queryset=FulfillmentLine.objects.select_related(
            "product", "order_line", "backorder_line").order_by("id")))


def fulfillments(*, status: str | None = None, order: str | None = None,
                 backorder: str | None = None) -> QuerySet[Fulfillment]:
    """Newest first; `backorder` finds every fulfillment carrying its units.
    An unknown status is 422 naming `status`; a malformed number matches nothing."""
    qs = _with_lines(Fulfillment.objects.order_by("-id"))
    if status:
        if status not in FulfillmentStatus.values:
            raise InvalidValue("fulfilment.invalid_filter",
                               f"status is one of {', '.join(FulfillmentStatus.values)}",
                               field="status")
        qs = qs.filter(status=status)
    try:
        if order:
            qs = qs.filter(order_id=order_id(order))
        if backorder:
            qs = qs.filter(lines__backorder_line__backorder_id=backorder_id(backorder)).distinct()
    except NotFound:
        return qs.none()
    return qs


def fulfillment_detail(number: str) -> Fulfillment:
    row = _with_lines(Fulfillment.objects.filter(id=fulfillment_id(number))).first()
    if row is None:
        raise NotFound("fulfilment.not_found", f"no fulfillment {number!r}")
    return row


def _invoice_rows(qs: QuerySet[Invoice]) -> QuerySet[Invoice]:
    return qs.select_related("customer", "order", "fulfillment").prefetch_related(
        Prefetch("lines", queryset=InvoiceLine.objects.select_related("product").order_by("id")))


def invoices(*, customer: str | None = None, order: str | None = None) -> QuerySet[Invoice]:
    """Newest first, by customer code and order number."""
    qs = _invoice_rows(Invoice.objects.order_by("-id"))
    if customer:
        qs = qs.filter(customer__code=customer)
    if order:
        try:
            qs = qs.filter(order_id=order_id(order))
        except NotFound:
            return qs.none()
    return qs


def invoice_detail(number: str) -> Invoice:
    row = _invoice_rows(Invoice.objects.filter(id=invoice_id(number))).first()
    if row is None:
        raise NotFound("fulfilment.invoice_not_found", f"no invoice {number!r}")
    return row


# QuickBooks Online's invoice import: one row per invoice line, the invoice's
# fields repeated on each; rows with the same InvoiceNo make one invoice.
CSV_HEADER = ["InvoiceNo", "Customer", "InvoiceDate", "DueDate", "Terms",
              "Item(Product/Service)", "ItemDescription", "ItemQuantity", "ItemRate",
              "ItemAmount"]


def invoices_csv(rows: Iterable[Invoice]) -> str:
    """Oldest invoice first (the order QuickBooks numbers them in)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    for invoice in sorted(rows, key=lambda x: x.id):
        for line in invoice.lines.all():
            writer.writerow([
                invoice.number, invoice.customer.name, invoice.invoice_date.isoformat(),
                invoice.due_date.isoformat(), invoice.customer.payment_terms, line.product.sku,
                line.description, line.quantity, f"{line.rate:.2f}", f"{line.amount:.2f}"])
    return out.getvalue()

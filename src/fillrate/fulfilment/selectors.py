"""Read queries over fulfillments and invoices, and the invoice CSV layout."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable
from dataclasses import dataclass, replace

from django.db.models import (
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce

from fillrate.backorders import lifecycle as backorder_lifecycle
from fillrate.backorders.models import Backorder, BackorderLine
from fillrate.backorders.selectors import BackorderFilters, backorders
from fillrate.backorders.services import backorder_id
from fillrate.core.errors import InvalidValue, NotFound
from fillrate.fulfilment import lifecycle
from fillrate.fulfilment.models import (
    Fulfillment,
    FulfillmentLine,
    FulfillmentStatus,
    Invoice,
    InvoiceLine,
)
from fillrate.fulfilment.services import fulfillment_id, invoice_id, pending_quantities
from fillrate.orders.models import OrderLine, OrderStatus
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


def _lines_free_to_fulfil() -> QuerySet[BackorderLine]:
    """Backorder lines holding allocated units that are on no pending
    fulfillment yet, annotated with `pending` (units already queued)."""
    pending = (FulfillmentLine.objects
               .filter(backorder_line_id=OuterRef("pk"),
                       fulfillment__status__in=lifecycle.PENDING)
               .values("backorder_line_id").annotate(n=Sum("quantity")).values("n")[:1])
    # The lines holding stock are found by their partial index
    # (`backorder_line_held`: only lines with allocated units): a few rows
    # whatever the backlog. (Driving from the allocations instead read
    # every order's allocation: 90,000 probes beside ordinary orders.)
    return BackorderLine.objects.filter(allocated__gt=0).annotate(
        pending=Coalesce(Subquery(pending, output_field=IntegerField()), Value(0)),
    ).filter(allocated__gt=F("pending"))


def _can_ship_now(*, partial_shipments: bool) -> Q:
    """Backorders with allocated units on no pending fulfillment yet: all of
    the active ones when partial shipments are allowed, else only `ready`;
    none of an order on hold."""
    may_ship = (Q(backorder__status__in=backorder_lifecycle.ACTIVE) if partial_shipments
                else Q(backorder__status=backorder_lifecycle.READY))
    # One subquery, driven from the few lines holding stock: the list then
    # walks its own ordering and tests each row against that set, where the
    # conditions spread over the outer query made PostgreSQL join every
    # backorder to its order first.
    can_ship = _lines_free_to_fulfil().filter(
        may_ship, ~Q(backorder__order__status=OrderStatus.ON_HOLD)).values("backorder_id")
    return Q(id__in=can_ship)


def filtered_backorders(filters: BackorderFilters, *, partial_shipments: bool,
                        today: dt.date | None = None) -> QuerySet[Backorder]:
    """The backorder list (`fillrate.backorders.selectors.backorders`) with
    its `fulfillable` filter: true keeps what can ship now (stock allocated
    and not yet on a pending fulfillment), false the rest."""
    qs = backorders(replace(filters, fulfillable=None), today=today)
    if filters.fulfillable is None:
        return qs
    can_ship = _can_ship_now(partial_shipments=partial_shipments)
    return qs.filter(can_ship) if filters.fulfillable else qs.exclude(can_ship)


def fulfillable_backorders(*, partial_shipments: bool, sku: str | None = None,
                           customer: str | None = None,
                           backorder: str | None = None) -> QuerySet[Backorder]:
    """What can ship now: active backorders with allocated units not yet on a
    pending fulfillment (only `ready` ones when partial shipments are off;
    none of an order on hold), oldest first, annotated like the backorder
    list. `sku` keeps those with such units of that product; a malformed
    `backorder` matches nothing."""
    qs = filtered_backorders(BackorderFilters(fulfillable=True, customer=customer),
                             partial_shipments=partial_shipments)
    if sku:
        qs = qs.filter(Exists(_lines_free_to_fulfil().filter(backorder_id=OuterRef("pk"),
                                                              product__sku__iexact=sku)))
    if backorder:
        try:
            qs = qs.filter(id=backorder_id(backorder))
        except NotFound:
            return qs.none()
    return qs


def lines_free_to_fulfil(backorder_ids: Iterable[int]) -> dict[int, list[BackorderLine]]:
    """Per backorder id, its lines with units to fulfil (with product and
    order line; `pending` annotated), in line order. One query."""
    out: dict[int, list[BackorderLine]] = {}
    rows = (_lines_free_to_fulfil().filter(backorder_id__in=list(backorder_ids))
            .select_related("product", "order_line").order_by("backorder_id", "id"))
    for line in rows:
        out.setdefault(line.backorder_id, []).append(line)
    return out


@dataclass(frozen=True)
class ProductToFulfil:
    sku: str
    name: str
    backorders: int
    units: int


def fulfillable_products(*, partial_shipments: bool) -> list[ProductToFulfil]:
    """Per product, how many fulfillable backorders hold units of it that can
    ship now and how many units: what batch fulfilment by product would queue."""
    ids = fulfillable_backorders(partial_shipments=partial_shipments).values("id")
    rows = (_lines_free_to_fulfil().filter(backorder_id__in=ids)
            .values("product__sku", "product__name")
            .annotate(n=Count("backorder_id", distinct=True),
                      units=Sum(F("allocated") - F("pending")))
            .order_by("product__sku"))
    return [ProductToFulfil(r["product__sku"], r["product__name"], r["n"], r["units"])
            for r in rows]


@dataclass(frozen=True)
class BackorderFulfilment:
    fulfillments: list[tuple[Fulfillment, int]]  # with the units of this backorder on it
    free: int  # units that can go on a new fulfillment now


def backorder_fulfilment(number: str, *, partial_shipments: bool) -> BackorderFulfilment:
    """A backorder's fulfillments, newest first, and how many of its units
    can be fulfilled now (0 unless it is on the fulfillable list)."""
    bid = backorder_id(number)
    free = 0
    if fulfillable_backorders(partial_shipments=partial_shipments, backorder=number).exists():
        free = sum(x.allocated - x.pending for x in lines_free_to_fulfil([bid]).get(bid, []))
    rows = [(f, sum(x.quantity for x in f.lines.all()
                    if x.backorder_line_id and x.backorder_line.backorder_id == bid))
            for f in fulfillments(backorder=number)]
    return BackorderFulfilment(rows, free)


def units_to_ship(*, order_id: int, ship_complete: bool) -> int:
    """How many units `fulfil_order` would put on a fulfillment now: the
    order lines' own allocated units that are on no pending fulfillment,
    plus, for a ship-complete order, its backorders' free units. The caller
    has checked `ready_to_ship`."""
    lines = dict(OrderLine.objects.filter(order_id=order_id).values_list("id", "allocated"))
    pending = pending_quantities(order_line_ids=list(lines))
    own = sum(max(allocated - pending.own.get(k, 0), 0)
              for k, allocated in lines.items())
    if not ship_complete:
        return own
    free = _lines_free_to_fulfil().filter(
        order_line_id__in=list(lines), backorder__status__in=backorder_lifecycle.ACTIVE,
    ).aggregate(n=Sum(F("allocated") - F("pending")))["n"] or 0
    return own + free


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


def _text_cell(text: str) -> str:
    """A text cell a spreadsheet will not run: one that starts like a formula
    gets a leading apostrophe (OWASP's advice for CSV injection)."""
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def invoices_csv(rows: Iterable[Invoice]) -> str:
    """Oldest invoice first (the order QuickBooks numbers them in). Text
    cells that start like a formula are neutralised (`_text_cell`)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    for invoice in sorted(rows, key=lambda x: x.id):
        for line in invoice.lines.all():
            writer.writerow([
                invoice.number, _text_cell(invoice.customer.name),
                invoice.invoice_date.isoformat(), invoice.due_date.isoformat(),
                _text_cell(invoice.customer.payment_terms), _text_cell(line.product.sku),
                _text_cell(line.description), line.quantity, f"{line.rate:.2f}",
                f"{line.amount:.2f}"])
    return out.getvalue()

"""CSV exports: the importable kinds in the columns their import reads (so
an export imports again unchanged), plus backorders and invoices. UTF-8,
a header row, money as plain decimals, text that starts like a formula
guarded with an apostrophe (which the import takes off again). Rows are
written as they are read, a chunk of the database at a time."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import IO, Any

from django.db.models import Prefetch, QuerySet

from fillrate.backorders.models import BackorderLine
from fillrate.backorders.selectors import BackorderFilters
from fillrate.catalog.models import Product
from fillrate.customers.models import Customer, SalesRep
from fillrate.customers.selectors import customers as customer_list
from fillrate.fulfilment.selectors import CSV_HEADER as INVOICE_HEADER
from fillrate.fulfilment.selectors import filtered_backorders, invoices, invoices_csv
from fillrate.inventory.models import Location, StockLevel
from fillrate.orders.models import OrderLine
from fillrate.orders.selectors import orders as order_list
from fillrate.purchasing.models import Supplier
from fillrate.purchasing.selectors import purchase_orders
from fillrate.workflows.imports.rows import guard

CHUNK = 2000


def _money(value: Decimal | None) -> str:
    return "" if value is None else f"{value:.2f}"


def _flag(value: bool) -> str:
    return "true" if value else "false"


def _date(value) -> str:
    return value.isoformat() if value else ""


@dataclass(frozen=True)
class Export:
    header: list[str]
    rows: Callable[[Any], Iterator[list[Any]]]  # rows of a queryset
    everything: Callable[[], Any]  # the queryset when nothing is filtered


def _products(qs: QuerySet[Product]) -> Iterator[list[Any]]:
    for p in qs.values_list("sku", "name", "upc", "variant", "category", "description",
                            "list_price", "discontinued").iterator(chunk_size=CHUNK):
        sku, name, upc, variant, category, description, price, discontinued = p
        yield [guard(sku), guard(name), guard(upc), guard(variant), guard(category),
               guard(description), _money(price), _flag(discontinued)]


def _sales_reps(qs: QuerySet[SalesRep]) -> Iterator[list[Any]]:
    for code, name, email in qs.values_list("code", "name", "email").iterator(chunk_size=CHUNK):
        yield [guard(code), guard(name), guard(email)]


def _customers(qs: QuerySet[Customer]) -> Iterator[list[Any]]:
    for row in qs.values_list("code", "name", "email", "phone", "vip", "sales_rep__code",
                              "delivery_address", "payment_terms").iterator(chunk_size=CHUNK):
        code, name, email, phone, vip, rep, address, terms = row
        yield [guard(code), guard(name), guard(email), guard(phone), _flag(vip),
               guard(rep or ""), guard(address), guard(terms)]


def _suppliers(qs: QuerySet[Supplier]) -> Iterator[list[Any]]:
    for code, name, email, lead in qs.values_list("code", "name", "email",
                                                  "lead_time_days").iterator(chunk_size=CHUNK):
        yield [guard(code), guard(name), guard(email), lead]


def _locations(qs: QuerySet[Location]) -> Iterator[list[Any]]:
    for row in qs.values_list("warehouse__code", "code", "name", "kind", "pick_sequence",
                              "zone", "active").iterator(chunk_size=CHUNK):
        warehouse, code, name, kind, seq, zone, active = row
        yield [guard(warehouse), guard(code), guard(name), kind, seq, guard(zone),
               _flag(active)]


def _stock(qs: QuerySet[StockLevel]) -> Iterator[list[Any]]:
    for sku, warehouse, location, on_hand, allocated in qs.values_list(
            "product__sku", "location__warehouse__code", "location__code", "on_hand",
            "allocated").iterator(chunk_size=CHUNK):
        yield [guard(sku), guard(warehouse), guard(location), on_hand, allocated]


def _orders(qs) -> Iterator[list[Any]]:
    lines = Prefetch("lines", queryset=OrderLine.objects.select_related("product")
                     .order_by("line_no"))
    for order in qs.select_related("customer").prefetch_related(lines).iterator(
            chunk_size=500):
        for line in order.lines.all():
            yield [order.number, guard(order.customer.code), guard(order.reference),
                   _flag(order.status == "on_hold"), guard(line.product.sku), line.quantity,
                   _money(line.unit_price), order.status, line.allocated, line.backordered,
                   line.shipped, line.cancelled]


def _purchase_orders(qs) -> Iterator[list[Any]]:
    for po in qs.iterator(chunk_size=500):
        for line in po.lines.all():
            yield [po.number, guard(po.supplier.code), _date(po.expected_date), po.status,
                   guard(po.notes), guard(line.product.sku), line.quantity,
                   _money(line.unit_cost), line.received, line.cancelled]


BACKORDER_HEADER = ["backorder", "order", "customer", "status", "priority", "expected_date",
                    "created", "sku", "quantity", "allocated", "fulfilled", "cancelled",
                    "unit_price", "notes"]


def _backorders(qs) -> Iterator[list[Any]]:
    lines = Prefetch("lines", queryset=BackorderLine.objects.select_related("product")
                     .order_by("id"))
    for b in qs.prefetch_related(lines).iterator(chunk_size=500):
        for line in b.lines.all():
            yield [b.number, b.order.number, guard(b.customer.code), b.status, b.priority,
                   _date(b.expected_date), b.created_at.date().isoformat(),
                   guard(line.product.sku), line.quantity, line.allocated, line.fulfilled,
                   line.cancelled, _money(line.unit_price), guard(b.notes)]


def _import_header(kind: str) -> list[str]:
    from fillrate.workflows.imports import kind_named

    return [c.name for c in kind_named(kind).columns]


EXPORTS: dict[str, Export] = {
    "products": Export(_import_header("products"), _products,
                       lambda: Product.objects.order_by("sku")),
    "customers": Export(_import_header("customers"), _customers, lambda: customer_list()),
    "sales-reps": Export(_import_header("sales-reps"), _sales_reps,
                         lambda: SalesRep.objects.order_by("code")),
    "suppliers": Export(_import_header("suppliers"), _suppliers,
                        lambda: Supplier.objects.order_by("code")),
    "locations": Export(_import_header("locations"), _locations,
                        lambda: Location.objects.order_by("warehouse__code", "code")),
    "stock": Export(_import_header("stock"), _stock,
                    lambda: StockLevel.objects.filter(on_hand__gt=0).order_by(
                        "product__sku", "location__warehouse__code", "location__code")),
    "orders": Export(_import_header("orders"), _orders, lambda: order_list()),
    "purchase-orders": Export(_import_header("purchase-orders"), _purchase_orders,
                              lambda: purchase_orders()),
    "backorders": Export(BACKORDER_HEADER, _backorders,
                         lambda: filtered_backorders(BackorderFilters(),
                                                     partial_shipments=True)),
    "invoices": Export(INVOICE_HEADER, lambda qs: iter(()), lambda: invoices()),
}

KINDS = list(EXPORTS)


def write_csv(kind: str, out: IO[str], rows: Any = None) -> int:
    """Write `kind` as CSV to `out`: the rows of queryset `rows` (what a list
    page's filters show) or all of them. Returns the rows written."""
    export = EXPORTS[kind]
    qs = export.everything() if rows is None else rows
    if kind == "invoices":  # the QuickBooks layout of the invoices page
        text = invoices_csv(qs)
        out.write(text)
        return max(text.count("\r\n") - 1, 0)
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(export.header)
    n = 0
    for row in export.rows(qs):
        writer.writerow(row)
        n += 1
    return n


def csv_chunks(kind: str, rows: Any = None) -> Iterable[str]:
    """The export as pieces of text, for a streaming HTTP response."""

    class Sink:
        def __init__(self) -> None:
            self.parts: list[str] = []

        def write(self, text: str) -> None:
            self.parts.append(text)

    export = EXPORTS[kind]
    qs = export.everything() if rows is None else rows
    if kind == "invoices":
        yield invoices_csv(qs)
        return
    sink = Sink()
    writer = csv.writer(sink, lineterminator="\r\n")
    writer.writerow(export.header)
    for i, row in enumerate(export.rows(qs), 1):
        writer.writerow(row)
        if i % CHUNK == 0:
            yield "".join(sink.parts)
            sink.parts.clear()
    yield "".join(sink.parts)

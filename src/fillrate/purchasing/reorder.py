"""Reorder points and preferred suppliers (set one, import many), and draft
purchase orders made from reorder suggestions, one per supplier."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass

from django.db import transaction

from fillrate.catalog.models import Product
from fillrate.core.errors import InvalidValue, NotFound
from fillrate.core.event_types import EventType
from fillrate.core.events import record_event
from fillrate.purchasing import lifecycle
from fillrate.purchasing.models import PurchaseOrder, ReorderPoint, Supplier
from fillrate.purchasing.services import PurchaseLineInput, create_purchase_order

MAX_POINT = 1_000_000_000
IMPORT_COLUMNS = ("sku", "reorder_point", "supplier")


def _check_point(value, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_POINT:
        raise InvalidValue("purchasing.invalid_reorder_point",
                           f"a reorder point is a whole number from 0 to {MAX_POINT}",
                           field=field)
    return value


def set_reorder_point(*, sku: str, reorder_point: int, supplier: str | None = None,
                      actor_id: int | None = None) -> ReorderPoint:
    """Set a product's reorder point and preferred supplier (None or "":
    none). Unknown SKU or supplier: 404 naming the field; a bad point: 422.
    Writes `ReorderPointSet`."""
    _check_point(reorder_point, "reorder_point")
    with transaction.atomic():
        product = Product.objects.filter(sku=sku).first()
        if product is None:
            raise NotFound("catalog.unknown_sku", f"no product with SKU {sku!r}", field="sku")
        sup = None
        if supplier:
            sup = Supplier.objects.filter(code=supplier).first()
            if sup is None:
                raise NotFound("purchasing.unknown_supplier", f"no supplier {supplier!r}",
                               field="supplier")
        row, _ = ReorderPoint.objects.update_or_create(
            product=product, defaults={"reorder_point": reorder_point, "supplier": sup})
        record_event(type=EventType.REORDER_POINT_SET, subject_type="product", subject=sku,
                     actor_id=actor_id,
                     payload={"reorder_point": reorder_point,
                              "supplier": sup.code if sup else None})
    return row


@dataclass(frozen=True)
class RowError:
    row: int
    column: str
    message: str


class ReorderImportInvalid(InvalidValue):
    def __init__(self, errors: list[RowError]) -> None:
        first = errors[0]
        super().__init__("purchasing.invalid_import",
                         f"row {first.row}, {first.column}: {first.message}"
                         + (f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""),
                         field=first.column)
        self.errors = errors


def import_reorder_points(*, text: str, actor_id: int | None = None) -> int:
    """A CSV with the columns sku, reorder_point, supplier (empty: none):
    every row or none. 422 `purchasing.invalid_import` listing every bad
    row (`errors`); returns how many products it set."""
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in IMPORT_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise ReorderImportInvalid([RowError(1, missing[0], "column missing")])
    rows = list(reader)
    if not rows:
        raise ReorderImportInvalid([RowError(2, "sku", "no rows")])
    skus = {p.sku for p in Product.objects.filter(sku__in=[r["sku"].strip() for r in rows])}
    suppliers = set(Supplier.objects.filter(
        code__in=[(r["supplier"] or "").strip() for r in rows]).values_list("code", flat=True))
    errors, seen, parsed = [], set(), []
    for n, r in enumerate(rows, start=2):
        sku, supplier = r["sku"].strip(), (r["supplier"] or "").strip()
        text_point = (r["reorder_point"] or "").strip()
        if sku not in skus:
            errors.append(RowError(n, "sku", f"no product with SKU {sku!r}"))
        elif sku in seen:
            errors.append(RowError(n, "sku", f"{sku} is named twice"))
        seen.add(sku)
        if not text_point.isdigit() or int(text_point) > MAX_POINT:
            errors.append(RowError(n, "reorder_point", "a whole number from 0"))
        if supplier and supplier not in suppliers:
            errors.append(RowError(n, "supplier", f"no supplier {supplier!r}"))
        parsed.append((sku, text_point, supplier))
    if errors:
        raise ReorderImportInvalid(errors)
    with transaction.atomic():
        for sku, point, supplier in parsed:
            set_reorder_point(sku=sku, reorder_point=int(point), supplier=supplier or None,
                              actor_id=actor_id)
    return len(parsed)


def create_draft_purchase_orders(*, quantities: Mapping[str, int],
                                 actor_id: int | None = None) -> list[PurchaseOrder]:
    """One `draft` purchase order per preferred supplier for the chosen
    {sku: quantity}, due after the supplier's lead time; all or none. A
    product without a preferred supplier or a bad quantity: 422 naming the
    SKU (`purchasing.no_preferred_supplier`, `purchasing.invalid_quantity`)."""
    if not quantities:
        raise InvalidValue("purchasing.nothing_chosen", "choose at least one product",
                           field="lines")
    points = {r.product.sku: r for r in ReorderPoint.objects.select_related(
        "product", "supplier").filter(product__sku__in=list(quantities))}
    by_supplier: dict[str, list[PurchaseLineInput]] = {}
    for sku in sorted(quantities):
        qty = quantities[sku]
        if isinstance(qty, bool) or not isinstance(qty, int) or qty <= 0:
            raise InvalidValue("purchasing.invalid_quantity", f"{sku}: order at least 1 unit",
                               field=sku)
        point = points.get(sku)
        if point is None or point.supplier is None:
            raise InvalidValue("purchasing.no_preferred_supplier",
                               f"{sku} has no preferred supplier", field=sku)
        by_supplier.setdefault(point.supplier.code, []).append(PurchaseLineInput(sku, qty))
    with transaction.atomic():
        return [create_purchase_order(supplier=code, lines=lines, status=lifecycle.DRAFT,
                                      notes="From reorder suggestions", actor_id=actor_id)
                for code, lines in sorted(by_supplier.items())]

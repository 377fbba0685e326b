"""Read queries over suppliers and purchase orders, and the `incoming`
figure of a product."""

from __future__ import annotations

from django.db.models import (
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce, Greatest

from fillrate.core.errors import InvalidValue, NotFound
from fillrate.purchasing import lifecycle
from fillrate.purchasing.models import (
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseOrderStatus,
    Receipt,
    ReceiptLine,
    Supplier,
)
from fillrate.purchasing.services import purchase_order_id

OUTSTANDING = Greatest(F("quantity") - F("received") - F("cancelled"), Value(0))


def incoming_quantity(product_ref: str = "pk") -> Coalesce:
    """An expression for a product queryset's annotation: units outstanding
    on open (ordered, partially received) purchase orders of the product
    named by the outer `product_ref`. Drafts are not on their way yet."""
    lines = (
        PurchaseOrderLine.objects.filter(product_id=OuterRef(product_ref),
                                         purchase_order__status__in=lifecycle.OPEN)
        .values("product_id").annotate(n=Sum(OUTSTANDING)).values("n")[:1]
    )
    return Coalesce(Subquery(lines, output_field=IntegerField()), Value(0))


def suppliers() -> QuerySet[Supplier]:
    return Supplier.objects.order_by("code")


def supplier_by_code(code: str, *, field: str = "supplier") -> Supplier:
    supplier = Supplier.objects.filter(code=code).first()
    if supplier is None:
        raise NotFound("purchasing.unknown_supplier", f"no supplier {code!r}", field=field)
    return supplier


def purchase_orders(*, status: str | None = None, supplier: str | None = None,
                    sku: str | None = None) -> QuerySet[PurchaseOrder]:
    """Newest first, each with `supplier` and its `lines` (with products).
    An unknown status is 422 naming `status`."""
    qs = PurchaseOrder.objects.select_related("supplier").prefetch_related(
        Prefetch("lines", queryset=PurchaseOrderLine.objects.select_related("product")
                 .order_by("line_no"))).order_by("-id")
    if status:
        if status not in PurchaseOrderStatus.values:
            raise InvalidValue("purchasing.invalid_filter",
                               f"status is one of {', '.join(PurchaseOrderStatus.values)}",
                               field="status")
        qs = qs.filter(status=status)
    if supplier:
        qs = qs.filter(supplier__code=supplier)
    if sku:
        qs = qs.filter(id__in=PurchaseOrderLine.objects.filter(
            product__sku__iexact=sku.strip()).values("purchase_order_id"))
    return qs


def purchase_order_detail(number: str) -> PurchaseOrder:
    """The purchase order with `lines` and `receipts` (with their lines) prefetched."""
    po = (
        PurchaseOrder.objects.select_related("supplier")
        .prefetch_related(
            Prefetch("lines", queryset=PurchaseOrderLine.objects.select_related("product")
                     .order_by("line_no")),
            Prefetch("receipts", queryset=Receipt.objects.select_related(
                "location", "created_by").order_by("id")),
            Prefetch("receipts__lines", queryset=ReceiptLine.objects.select_related(
                "product").order_by("id")),
        )
        .filter(id=purchase_order_id(number)).first()
    )
    if po is None:
        raise NotFound("purchasing.not_found", f"no purchase order {number!r}")
    return po


def incoming_lines(product_id: int) -> list[PurchaseOrderLine]:
    """What is on its way of this product: lines of open (ordered, partially
    received) purchase orders with units outstanding (`outstanding_units`),
    earliest expected first, each with its purchase order and supplier, in
    one query."""
    return list(
        PurchaseOrderLine.objects.filter(product_id=product_id,
                                         purchase_order__status__in=lifecycle.OPEN)
        .annotate(outstanding_units=OUTSTANDING).filter(outstanding_units__gt=0)
        .select_related("purchase_order", "purchase_order__supplier")
        .order_by("purchase_order__expected_date", "purchase_order_id", "id")
    )

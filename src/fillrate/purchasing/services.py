"""Suppliers and purchase orders: every state change of purchasing.

Receiving lives in `fillrate.workflows.receive` (it changes stock and feeds
backorders too); this module gives it `lock_purchase_order` and
`record_receipt`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models.functions import Upper
from django.utils import timezone

from fillrate.catalog.models import Product
from fillrate.catalog.services import refuse_repeated_skus
from fillrate.core.errors import Conflict, InvalidValue, NotFound
from fillrate.core.event_types import EventType
from fillrate.core.events import record_event, record_events
from fillrate.core.numbers import MAX_QUANTITY, parse_number
from fillrate.core.validation import check_email
from fillrate.purchasing import lifecycle
from fillrate.purchasing.models import (
    PurchaseOrder,
    PurchaseOrderLine,
    Supplier,
)

MAX_LEAD_TIME_DAYS = 3650
MAX_COST = Decimal("9999999999.99")


def purchase_order_id(number: str) -> int:
    try:
        return parse_number(PurchaseOrder.PREFIX, number, what="purchase order")
    except NotFound:
        # One code for "no such purchase order", whatever the shape of the number.
        raise NotFound("purchasing.not_found", f"no purchase order {number!r}") from None


def create_supplier(
    *, code: str, name: str, email: str = "", lead_time_days: int = 0,
    actor_id: int | None = None,
) -> Supplier:
    """Raises `purchasing.invalid_code`, `purchasing.invalid_name`,
    `purchasing.invalid_email`, `purchasing.invalid_lead_time` (422) and
    `purchasing.duplicate_supplier` (409; codes compare case-insensitively)."""
    code = (code or "").strip()
    if not code or any(c.isspace() for c in code):
        raise InvalidValue("purchasing.invalid_code", "a supplier code is required and has no "
                           "spaces", field="code")
    if not (name or "").strip():
        raise InvalidValue("purchasing.invalid_name", "a supplier needs a name", field="name")
    if email:
        check_email(email, app="purchasing")
    if not 0 <= lead_time_days <= MAX_LEAD_TIME_DAYS:
        raise InvalidValue("purchasing.invalid_lead_time",
                           f"lead time is a whole number of days from 0 to {MAX_LEAD_TIME_DAYS}",
                           field="lead_time_days")
    with transaction.atomic():
        if Supplier.objects.filter(code__iexact=code).exists():
            raise Conflict("purchasing.duplicate_supplier", f"supplier {code!r} exists already",
                           field="code")
        supplier = Supplier.objects.create(code=code, name=name.strip(), email=email,
                                           lead_time_days=lead_time_days)
        record_event(type=EventType.SUPPLIER_CREATED, subject_type="supplier", subject=code,
                     actor_id=actor_id,
                     payload={"name": supplier.name, "lead_time_days": lead_time_days})
    return supplier


@dataclass(frozen=True)
class PurchaseLineInput:
    sku: str
    quantity: int
    unit_cost: Decimal | None = None


def _validate_lines(lines: Sequence[PurchaseLineInput]) -> None:
    if not lines:
        raise InvalidValue("purchasing.no_lines", "a purchase order needs at least one line",
                           field="lines")
    refuse_repeated_skus([x.sku for x in lines], code="purchasing.duplicate_sku")
    for i, line in enumerate(lines):
        if line.quantity <= 0 or line.quantity > MAX_QUANTITY:
            raise InvalidValue("purchasing.invalid_quantity",
                               f"quantity is a whole number from 1 to {MAX_QUANTITY}",
                               field=f"lines[{i}].quantity")
        if line.unit_cost is not None and not 0 <= line.unit_cost <= MAX_COST:
            raise InvalidValue("purchasing.invalid_cost",
                               f"unit cost is from 0 to {MAX_COST}", field=f"lines[{i}].unit_cost")


CREATABLE = (lifecycle.DRAFT, lifecycle.ORDERED)


def create_purchase_order(
    *, supplier: str, lines: Sequence[PurchaseLineInput], expected_date: dt.date | None = None,
    status: str = lifecycle.ORDERED, notes: str = "", actor_id: int | None = None,
) -> PurchaseOrder:
    """A purchase order for `lines`, `ordered` (the default: its quantities
    count as incoming and can be received at once) or `draft` (to be ordered
    later with `order_purchase_order`). Without `expected_date` it is due
    after the supplier's lead time. Unknown supplier or SKU: 404 naming the
    field; a discontinued product: `catalog.discontinued` (409); bad
    quantities, costs, duplicate SKUs or status: 422 naming the field."""
    if status not in CREATABLE:
        raise InvalidValue("purchasing.invalid_status",
                           f"a new purchase order is {' or '.join(CREATABLE)}", field="status")
    _validate_lines(lines)
    with transaction.atomic():
        sup = Supplier.objects.filter(code=supplier).first()
        if sup is None:
            raise NotFound("purchasing.unknown_supplier", f"no supplier {supplier!r}",
                           field="supplier")
        # SKUs in any case (they are unique in any case).
        products = {p.key: p for p in Product.objects.annotate(key=Upper("sku")).filter(
            key__in=[x.sku.strip().upper() for x in lines])}
        for i, line in enumerate(lines):
            product = products.get(line.sku.strip().upper())
            if product is None:
                raise NotFound("catalog.unknown_sku", f"no product with SKU {line.sku!r}",
                               field=f"lines[{i}].sku")
            if product.discontinued:
                raise Conflict("catalog.discontinued", f"{line.sku} is discontinued",
                               field=f"lines[{i}].sku")
        if expected_date is None:
            expected_date = timezone.localdate() + dt.timedelta(days=sup.lead_time_days)
        now = timezone.now()
        po = PurchaseOrder.objects.create(
            supplier=sup, status=status, expected_date=expected_date, notes=notes,
            created_by_id=actor_id, ordered_at=now if status == lifecycle.ORDERED else None)
        PurchaseOrderLine.objects.bulk_create([
            PurchaseOrderLine(purchase_order=po, line_no=i + 1,
                              product=products[line.sku.strip().upper()],
                              quantity=line.quantity,
                              unit_cost=line.unit_cost)
            for i, line in enumerate(lines)
        ])
        record_event(
            type=EventType.PURCHASE_ORDER_CREATED, subject_type="purchase_order", subject=po.number,
            actor_id=actor_id,
            payload={"supplier": sup.code, "status": status, "expected_date": expected_date,
                     "lines": [{"sku": products[x.sku.strip().upper()].sku,
                                "quantity": x.quantity} for x in lines]})
    return po


def lock_purchase_order(number: str) -> PurchaseOrder:
    """Lock the purchase order row, then its lines (in id order). Callers that
    change stock lock the products' stock levels first (DESIGN.md: products,
    then documents, then lines)."""
    po = PurchaseOrder.objects.select_for_update(of=("self",)).select_related(
        "supplier").filter(id=purchase_order_id(number)).first()
    if po is None:
        raise NotFound("purchasing.not_found", f"no purchase order {number!r}")
    list(PurchaseOrderLine.objects.select_for_update().filter(purchase_order=po).order_by("id"))
    return po


def order_purchase_order(*, number: str, actor_id: int | None = None) -> PurchaseOrder:
    """draft -> ordered (`purchasing.invalid_transition`, 409, from anything else)."""
    with transaction.atomic():
        po = lock_purchase_order(number)
        lifecycle.check_action(po.status, lifecycle.ORDERED)
        po.status, po.ordered_at = lifecycle.ORDERED, timezone.now()
        po.save(update_fields=["status", "ordered_at"])
        record_event(type=EventType.PURCHASE_ORDER_ORDERED, subject_type="purchase_order",
                     subject=po.number, actor_id=actor_id,
                     payload={"expected_date": po.expected_date})
    return po


def update_purchase_order(
    *, number: str, expected_date: dt.date, actor_id: int | None = None,
) -> PurchaseOrder:
    """Change the expected date of a purchase order that is not closed
    (received or cancelled: `purchasing.closed`, 409). Writes
    `PurchaseOrderExpectedDateChanged` with the old and new date when it changes."""
    if expected_date is None:
        raise InvalidValue("purchasing.invalid_expected_date",
                           "a purchase order always has an expected date",
                           field="expected_date")
    with transaction.atomic():
        po = lock_purchase_order(number)
        if po.status in lifecycle.TERMINAL:
            raise Conflict("purchasing.closed", f"{po.number} is {po.status}",
                           field="expected_date")
        if po.expected_date != expected_date:
            old, po.expected_date = po.expected_date, expected_date
            po.save(update_fields=["expected_date"])
            record_event(type=EventType.PURCHASE_ORDER_EXPECTED_DATE_CHANGED,
                         subject_type="purchase_order", subject=po.number, actor_id=actor_id,
                         payload={"old": old, "new": expected_date})
    return po


def cancel_purchase_order(*, number: str, reason: str = "",
                          actor_id: int | None = None) -> PurchaseOrder:
    """Cancel a draft, ordered or partly received purchase order. What was
    received stays received (the stock is in the warehouse, the ledger says
    so); what was still outstanding is closed as the lines' `cancelled`, so
    it no longer counts as incoming. A received or cancelled purchase order:
    `purchasing.invalid_transition` (409)."""
    with transaction.atomic():
        po = lock_purchase_order(number)
        lifecycle.check_action(po.status, lifecycle.CANCELLED)
        closed = []
        for line in PurchaseOrderLine.objects.filter(purchase_order=po).select_related(
                "product").order_by("line_no"):
            if line.outstanding:
                closed.append({"sku": line.product.sku, "quantity": line.outstanding})
                line.cancelled += line.outstanding
                line.save(update_fields=["cancelled"])
        previous = po.status
        po.status, po.cancelled_at = lifecycle.CANCELLED, timezone.now()
        po.save(update_fields=["status", "cancelled_at"])
        record_event(type=EventType.PURCHASE_ORDER_CANCELLED, subject_type="purchase_order",
                     subject=po.number, actor_id=actor_id,
                     payload={"previous_status": previous, "reason": reason,
                              "closed": closed})
    return po


def record_receipt_status(po: PurchaseOrder, *, actor_id: int | None = None) -> str:
    """Set the status the lines now imply after a receipt (the caller holds
    the purchase order's lock and has written the lines' `received`); writes
    `PurchaseOrderStatusChanged` when it moves."""
    lines = PurchaseOrderLine.objects.filter(purchase_order=po).values_list(
        "quantity", "received", "cancelled")
    derived = lifecycle.derive_receipt_status(
        lifecycle.LineQuantities(q, r, c) for q, r, c in lines)
    if derived != po.status:
        lifecycle.check(po.status, derived)
        old = po.status
        PurchaseOrder.objects.filter(id=po.id).update(status=derived)
        po.status = derived
        record_events([{"type": EventType.PURCHASE_ORDER_STATUS_CHANGED,
                        "subject_type": "purchase_order",
                        "subject": po.number, "actor_id": actor_id,
                        "payload": {"old": old, "new": derived}}])
    return derived


"""Suppliers, purchase orders and receipts."""

from __future__ import annotations

import datetime as dt

from django.http import JsonResponse
from ninja import Field, Query, Router, Schema
from ninja.responses import NinjaJSONEncoder

from fillrate.api.auth import actor_id, needs
from fillrate.api.pagination import PageParams, paginate
from fillrate.api.routers.events import render_event
from fillrate.api.schemas import (
    CODE,
    EMAIL,
    LEAD_TIME,
    NAME,
    QUANTITY,
    Count,
    EventOut,
    Filter,
    Flag,
    Money,
    MoneyIn,
    OneOf,
    Page,
    RequestSchema,
    past_date_warnings,
)
from fillrate.backorders.selectors import promised_against
from fillrate.core.selectors import events_for
from fillrate.inventory.selectors import location_for_new_stock
from fillrate.purchasing import selectors
from fillrate.purchasing.models import PurchaseOrder, PurchaseOrderStatus, Supplier
from fillrate.purchasing.services import PurchaseLineInput, create_supplier
from fillrate.purchasing.suppliers import update_supplier
from fillrate.workflows.purchase_orders import (
    cancel_purchase_order,
    create_purchase_order,
    order_purchase_order,
    update_purchase_order,
)
from fillrate.workflows.receive import ReceiptLineInput, receive_purchase_order

router = Router(tags=["purchasing"])


class SupplierIn(RequestSchema):
    code: str = Field(..., min_length=1, max_length=32, json_schema_extra=CODE)
    name: str = Field(..., min_length=1, max_length=200, json_schema_extra=NAME)
    email: str = Field("", max_length=254, json_schema_extra=EMAIL)
    lead_time_days: Count = Field(0, json_schema_extra=LEAD_TIME)


class SupplierOut(Schema):
    code: str
    name: str
    email: str
    lead_time_days: int


def render_supplier(s: Supplier) -> dict:
    return {"code": s.code, "name": s.name, "email": s.email,
            "lead_time_days": s.lead_time_days}


@router.post("/suppliers", response={201: SupplierOut}, auth=needs("purchasing.manage"))
def post_supplier(request, payload: SupplierIn):
    supplier = create_supplier(**payload.dict(), actor_id=actor_id(request))
    return 201, render_supplier(supplier)


@router.get("/suppliers", response=Page[SupplierOut], auth=needs("purchasing.view"))
def list_suppliers(request, page: Query[PageParams]):
    return paginate(selectors.suppliers(), page, render_supplier)


@router.get("/suppliers/{path:code}", response=SupplierOut, auth=needs("purchasing.view"))
def get_supplier(request, code: str):
    return render_supplier(selectors.supplier_by_code(code))


class SupplierPatch(RequestSchema):
    """Only the fields sent change; a field not named here is 422
    `request.unknown_field` (the code cannot be changed)."""

    PARTIAL = True

    name: str | None = Field(None, min_length=1, max_length=200, json_schema_extra=NAME)
    email: str | None = Field(None, max_length=254, json_schema_extra=EMAIL)
    lead_time_days: Count | None = Field(None, json_schema_extra=LEAD_TIME)


@router.patch(
    "/suppliers/{path:code}", response=SupplierOut, auth=needs("purchasing.manage"),
    description="Change a supplier's `name`, `email` or `lead_time_days`: one "
    "`SupplierUpdated` event per changed field (old and new value). A new lead time dates "
    "purchase orders created from now on.")
def patch_supplier(request, code: str, payload: SupplierPatch):
    supplier = update_supplier(code=code, changes=payload.dict(exclude_unset=True),
                               actor_id=actor_id(request))
    return render_supplier(supplier)


class PurchaseLineIn(RequestSchema):
    sku: str = Field(..., min_length=1)
    quantity: Count = Field(..., json_schema_extra=QUANTITY)
    unit_cost: MoneyIn | None = Field(None, max_digits=12, decimal_places=2)


class PurchaseOrderIn(RequestSchema):
    supplier: str = Field(..., min_length=1)
    expected_date: dt.date | None = None
    lines: list[PurchaseLineIn] = Field(..., json_schema_extra={"minItems": 1})
    status: OneOf(["ordered", "draft"]) = "ordered"
    notes: str = ""


class PurchaseLineOut(Schema):
    line_no: int
    sku: str
    name: str
    ordered: int
    received: int
    cancelled: int
    outstanding: int
    unit_cost: Money | None


class PurchaseOrderRow(Schema):
    number: str
    status: str
    supplier: str
    supplier_name: str
    expected_date: dt.date
    created_at: dt.datetime
    ordered: int
    received: int
    outstanding: int


class ReceiptLineOut(Schema):
    sku: str
    quantity: int


class ReceiptSummary(Schema):
    number: str
    location: str
    over_receipt: bool
    by: str | None
    created_at: dt.datetime
    lines: list[ReceiptLineOut]


class PromisedOut(Schema):
    backorder: str
    status: str
    customer: str
    sku: str
    quantity: int
    expected_date: dt.date


class PurchaseOrderDetail(PurchaseOrderRow):
    notes: str
    ordered_at: dt.datetime | None
    cancelled_at: dt.datetime | None
    lines: list[PurchaseLineOut]
    receipts: list[ReceiptSummary]
    promised: list[PromisedOut] = Field(
        description="backorder lines promised against this order's open quantity")
    events: list[EventOut]


def render_row(po: PurchaseOrder) -> dict:
    lines = list(po.lines.all())
    return {
        "number": po.number, "status": po.status, "supplier": po.supplier.code,
        "supplier_name": po.supplier.name, "expected_date": po.expected_date,
        "created_at": po.created_at, "ordered": sum(x.quantity for x in lines),
        "received": sum(x.received for x in lines),
        "outstanding": sum(x.outstanding for x in lines),
    }


def render_purchase_order(po: PurchaseOrder) -> dict:
    return {
        **render_row(po), "notes": po.notes, "ordered_at": po.ordered_at,
        "cancelled_at": po.cancelled_at,
        "lines": [
            {"line_no": x.line_no, "sku": x.product.sku, "name": x.product.name,
             "ordered": x.quantity, "received": x.received, "cancelled": x.cancelled,
             "outstanding": x.outstanding, "unit_cost": x.unit_cost}
            for x in po.lines.all()
        ],
        "receipts": [
            {"number": r.number, "location": r.location.code, "over_receipt": r.over_receipt,
             "by": r.created_by.username if r.created_by else None, "created_at": r.created_at,
             "lines": [{"sku": x.product.sku, "quantity": x.quantity} for x in r.lines.all()]}
            for r in po.receipts.all()
        ],
        "promised": [vars(p) for p in promised_against(po.id)],
        "events": [render_event(e) for e in events_for(subject_type="purchase_order",
                                                       subject=po.number)],
    }


def _detail(number: str) -> dict:
    return render_purchase_order(selectors.purchase_order_detail(number))


class PurchaseOrderChanged(PurchaseOrderDetail):
    warnings: list[str] = Field([], description="what was accepted but looks wrong, e.g. "
                                "an expected date in the past")


@router.post(
    "/purchase-orders", response={201: PurchaseOrderChanged}, auth=needs("purchasing.manage"),
    description="Create a purchase order. `status` is `ordered` (the default: its outstanding "
    "quantities count as a product's `incoming` and it can be received at once) or `draft` "
    "(not incoming, not receivable, until `POST /purchase-orders/{number}/order`). Without "
    "`expected_date` it is due after the supplier's `lead_time_days`. Unknown supplier or "
    "SKU: 404 naming the field; discontinued product: 409; bad quantity, unit cost, "
    "duplicate SKU or status: 422 naming the field.")
def post_purchase_order(request, payload: PurchaseOrderIn):
    po = create_purchase_order(
        supplier=payload.supplier, expected_date=payload.expected_date, status=payload.status,
        notes=payload.notes,
        lines=[PurchaseLineInput(x.sku, x.quantity, x.unit_cost) for x in payload.lines],
        actor_id=actor_id(request))
    return 201, {**_detail(po.number),
                 "warnings": past_date_warnings("expected_date", payload.expected_date)}


class PurchaseOrderFilters(Schema):
    status: Filter(PurchaseOrderStatus.values) | None = None
    supplier: str | None = None
    sku: str | None = None


@router.get("/purchase-orders", response=Page[PurchaseOrderRow],
            auth=needs("purchasing.view"))
def list_purchase_orders(request, filters: Query[PurchaseOrderFilters],
                         page: Query[PageParams]):
    return paginate(selectors.purchase_orders(**filters.dict()), page, render_row)


@router.get("/purchase-orders/{number}", response=PurchaseOrderDetail,
            auth=needs("purchasing.view"))
def get_purchase_order(request, number: str):
    return _detail(number)


class PurchaseOrderPatch(RequestSchema):
    PARTIAL = True
    NULLABLE = frozenset({"expected_date"})

    expected_date: dt.date | None


@router.patch("/purchase-orders/{number}", response=PurchaseOrderChanged,
              auth=needs("purchasing.manage"),
              description="Change the expected date of an open or draft purchase order; "
              "a received or cancelled one is 409 `purchasing.closed`.")
def patch_purchase_order(request, number: str, payload: PurchaseOrderPatch):
    update_purchase_order(number=number, expected_date=payload.expected_date,
                          actor_id=actor_id(request))
    return {**_detail(number),
            "warnings": past_date_warnings("expected_date", payload.expected_date)}


@router.post("/purchase-orders/{number}/order", response=PurchaseOrderDetail,
             auth=needs("purchasing.manage"),
             description="Send a draft purchase order: `draft` -> `ordered`.")
def post_order(request, number: str):
    order_purchase_order(number=number, actor_id=actor_id(request))
    return _detail(number)


class PurchaseOrderCancelIn(RequestSchema):
    reason: str = Field("", max_length=500)


@router.post(
    "/purchase-orders/{number}/cancel", response=PurchaseOrderDetail,
    auth=needs("purchasing.manage"),
    description="Cancel a draft, ordered or partially received purchase order. What was "
    "received stays received (it is in stock); what is still outstanding is closed (each "
    "line's `cancelled`), so it is no longer incoming. A received or cancelled purchase "
    "order is 409 `purchasing.invalid_transition`.")
def post_cancel(request, number: str, payload: PurchaseOrderCancelIn | None = None):
    cancel_purchase_order(number=number, reason=payload.reason if payload else "",
                          actor_id=actor_id(request))
    return _detail(number)


class ReceiptLineIn(RequestSchema):
    sku: str = Field(..., min_length=1)
    quantity: Count = Field(..., json_schema_extra=QUANTITY)


class ReceiptIn(RequestSchema):
    lines: list[ReceiptLineIn] = Field(..., json_schema_extra={"minItems": 1})
    location: str | None = None
    allow_over_receipt: Flag = False


class AllocationOut(Schema):
    backorder: str
    sku: str
    quantity: int


class AllocationSummary(Schema):
    lines: int
    units: int
    backorders: int


class ReceiptOut(ReceiptSummary):
    purchase_order: str
    status: str
    allocation_summary: AllocationSummary
    allocations: list[AllocationOut]


@router.post(
    "/purchase-orders/{number}/receipts", response={201: ReceiptOut},
    auth=needs("purchasing.receive"),
    description="Record what arrived. The stock goes on hand at `location` (default: the "
    "receiving location) with a `received` movement per line, and in the same transaction "
    "to waiting backorders by `allocation_policy`; `allocations` lists what each backorder "
    "got (every backorder line that got stock, first in line first; a receipt can feed "
    "tens of thousands, so `allocation_summary` counts them). Partial receipts are normal; "
    "more than is outstanding on a line is 422 "
    "`purchasing.over_receipt` naming `lines[i].quantity` unless `allow_over_receipt`. "
    "Draft, received or cancelled purchase orders are 409 `purchasing.not_receivable`.")
def post_receipt(request, number: str, payload: ReceiptIn):
    location_id = location_for_new_stock(payload.location).id if payload.location else None
    result = receive_purchase_order(
        number=number, lines=[ReceiptLineInput(x.sku, x.quantity) for x in payload.lines],
        location_id=location_id, allow_over_receipt=payload.allow_over_receipt,
        actor_id=actor_id(request))
    r = result.receipt
    allocations = result.allocations
    # Encoded without a second pydantic pass over what can be 25,000+ rows;
    # a test holds the body to ReceiptOut.
    return JsonResponse({
        "number": r.number, "purchase_order": result.purchase_order.number,
        "status": result.purchase_order.status, "location": r.location.code,
        "over_receipt": r.over_receipt, "by": request.auth.username, "created_at": r.created_at,
        "lines": [{"sku": x.product.sku, "quantity": x.quantity} for x in result.lines],
        "allocation_summary": {"lines": len(allocations),
                               "units": sum(a.quantity for a in allocations),
                               "backorders": len({a.backorder for a in allocations})},
        "allocations": [{"backorder": a.backorder, "sku": a.sku, "quantity": a.quantity}
                        for a in allocations],
    }, status=201, encoder=NinjaJSONEncoder)

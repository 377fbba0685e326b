from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from ninja import Field, Query, Router, Schema

from fillrate.api.auth import actor_id, needs
from fillrate.api.pagination import PageParams
from fillrate.api.routers.events import render_event
from fillrate.api.schemas import (
    NAME,
    QUANTITY,
    Count,
    EventOut,
    Filter,
    Flag,
    Money,
    OneOf,
    Page,
    RequestSchema,
    past_date_warnings,
)
from fillrate.backorders import aging, lifecycle, selectors
from fillrate.backorders.models import Backorder, CancelReason, CommunicationMethod, Priority
from fillrate.backorders.services import (
    CancelLine,
    log_communication,
    update_backorder,
)
from fillrate.catalog.keys import sku_key
from fillrate.catalog.selectors import stored_skus
from fillrate.core.business import business_settings
from fillrate.core.selectors import events_for
from fillrate.fulfilment.selectors import filtered_backorders
from fillrate.workflows.cancel_backorder import cancel_backorder_and_feed

router = Router(tags=["backorders"])
CENTS = Decimal("0.01")


class BackorderFilterParams(Schema):
    status: Filter(["active", *lifecycle.TRANSITIONS]) | None = None
    customer: str | None = None
    sku: str | None = None
    sales_rep: str | None = None
    priority: Filter(Priority.values) | None = None
    expected: Filter(selectors.EXPECTED_BUCKETS) | None = None
    fulfillable: bool | None = Field(
        None, description="true: can ship now (allocated units on no pending fulfillment, "
        "order not on hold); false: the rest")
    ordering: OneOf(selectors.ORDERINGS) = "created"
    age: Filter(aging.BUCKET_KEYS) | None = Field(
        None, description="active backorders aged 0_7, 8_14, 15_30 or "
                          "31_plus whole days (the aging report's buckets)")


class BackorderRow(Schema):
    number: str
    status: str
    customer: str
    customer_name: str
    sales_rep: str | None
    order: str
    priority: str
    created_at: dt.datetime
    expected_date: dt.date | None
    age_days: int
    open_quantity: int
    allocated_quantity: int
    value: Money
    flags: list[str]


class BackorderPage(Page[BackorderRow]):
    status_counts: dict[str, int]


@router.get("/backorders", response=BackorderPage, auth=needs("backorders.view"))
def list_backorders(request, filters: Query[BackorderFilterParams], page: Query[PageParams]):
    settings = business_settings()
    qs = filtered_backorders(selectors.BackorderFilters(**filters.dict()),
                             partial_shipments=settings.partial_shipments)
    rows = list(qs[page.offset: page.offset + page.limit])
    flags = selectors.row_flags(rows, max_age_days=settings.max_backorder_age_days)
    return {
        "count": qs.count(),
        "status_counts": selectors.status_counts(),
        "items": [
            {"number": b.number, "status": b.status, "customer": b.customer.code,
             "customer_name": b.customer.name,
             "sales_rep": b.customer.sales_rep.code if b.customer.sales_rep else None,
             "order": b.order.number, "priority": b.priority, "created_at": b.created_at,
             "expected_date": b.expected_date, "age_days": flags[b.id].age_days,
             "open_quantity": b.open_quantity, "allocated_quantity": b.allocated_quantity,
             # SQLite sums decimals as floats: give money its two places back.
             "value": b.value.quantize(CENTS), "flags": flags[b.id].names()}
            for b in rows
        ],
    }


class PromiseOut(Schema):
    purchase_order: str
    supplier: str
    quantity: int
    expected_date: dt.date


class BackorderLineOut(Schema):
    sku: str
    name: str
    variant: str
    upc: str
    order_line: int
    ordered: int
    quantity: int
    allocated: int
    fulfilled: int
    cancelled: int
    open_quantity: int
    unit_price: Money
    expected_date: dt.date | None = Field(
        description="the backorder's date when it was set by hand, else `promised_date`")
    promised_date: dt.date | None = Field(
        description="when the waiting units are due by their promises; null unless "
        "promises cover them all")
    promises: list[PromiseOut]
    stock: dict[str, int]


class CommunicationOut(Schema):
    id: int
    method: str
    summary: str
    next_follow_up: dt.date | None
    by: str | None
    created_at: dt.datetime


class BackorderDetail(Schema):
    number: str
    status: str
    priority: str
    customer: dict[str, Any]
    order: dict[str, Any]
    created_at: dt.datetime
    expected_date: dt.date | None
    expected_date_manual: bool = Field(
        description="the date was set by hand and wins over the promises until cleared")
    reason: str
    notes: str
    cancel_reason: str
    cancel_notes: str
    total_quantity: int
    open_quantity: int
    value: Money
    flags: list[str]
    lines: list[BackorderLineOut]
    communications: list[CommunicationOut]
    events: list[EventOut]


def render_backorder(b: Backorder) -> dict:
    lines = list(b.lines.all())
    stock = selectors.stock_of_products([x.product_id for x in lines], exclude_backorder=b.id)
    settings = business_settings()
    flags = selectors.row_flags([b], max_age_days=settings.max_backorder_age_days)[b.id]
    c = b.customer
    return {
        "number": b.number, "status": b.status, "priority": b.priority,
        "customer": {"code": c.code, "name": c.name, "email": c.email, "vip": c.vip,
                     "sales_rep": c.sales_rep.code if c.sales_rep else None,
                     "delivery_address": c.delivery_address, "payment_terms": c.payment_terms},
        "order": {"number": b.order.number, "created_at": b.order.created_at,
                  "status": b.order.status},
        "created_at": b.created_at, "expected_date": b.expected_date,
        "expected_date_manual": b.expected_date_manual, "reason": b.reason,
        "notes": b.notes, "cancel_reason": b.cancel_reason, "cancel_notes": b.cancel_notes,
        "total_quantity": sum(x.quantity for x in lines),
        "open_quantity": sum(x.open_quantity for x in lines),
        "value": sum((x.open_quantity * x.unit_price for x in lines), Decimal("0")),
        "flags": flags.names(),
        "lines": [
            {"sku": x.product.sku, "name": x.product.name, "variant": x.product.variant,
             "upc": x.product.upc, "order_line": x.order_line_id,
             "ordered": x.order_line.quantity, "quantity": x.quantity,
             "allocated": x.allocated, "fulfilled": x.fulfilled, "cancelled": x.cancelled,
             "open_quantity": x.open_quantity, "unit_price": x.unit_price,
             "expected_date": x.expected_date, "promised_date": x.promised_date,
             "promises": [{"purchase_order": p.purchase_order_line.purchase_order.number,
                           "supplier": p.purchase_order_line.purchase_order.supplier.code,
                           "quantity": p.quantity, "expected_date": p.expected_date}
                          for p in x.promises.all()],
             "stock": stock.get(x.product_id, {})}
            for x in lines
        ],
        "communications": [
            {"id": m.id, "method": m.method, "summary": m.summary,
             "next_follow_up": m.next_follow_up,
             "by": m.created_by.username if m.created_by else None, "created_at": m.created_at}
            for m in b.communications.select_related("created_by").order_by("-id")
        ],
        "events": [render_event(e) for e in events_for(subject_type="backorder",
                                                       subject=b.number)],
    }


@router.get("/backorders/{number}", response=BackorderDetail, auth=needs("backorders.view"))
def get_backorder(request, number: str):
    return render_backorder(selectors.backorder_detail(number))


class BackorderPatch(RequestSchema):
    PARTIAL = True
    NULLABLE = frozenset({"expected_date"})

    expected_date: dt.date | None = None
    priority: OneOf(Priority.values) | None = None
    notes: str | None = None


class BackorderChanged(BackorderDetail):
    warnings: list[str] = Field([], description="what was accepted but looks wrong, e.g. "
                                "an expected date in the past")


@router.patch("/backorders/{number}", response=BackorderChanged,
              auth=needs("backorders.manage"))
def patch_backorder(request, number: str, payload: BackorderPatch):
    changes = payload.dict(exclude_unset=True)
    if changes.get("priority", "") is None:
        changes.pop("priority")
    update_backorder(number=number, changes=changes, actor_id=actor_id(request))
    return {**render_backorder(selectors.backorder_detail(number)),
            "warnings": past_date_warnings("expected_date", changes.get("expected_date"))}


class CancelLineIn(RequestSchema):
    sku: str
    quantity: Count | None = Field(None, json_schema_extra=QUANTITY)


class BackorderCancelIn(RequestSchema):
    # reason `other` needs notes that say something
    RULES = {"if": {"properties": {"reason": {"const": "other"}}, "required": ["reason"]},
             "then": {"required": ["notes"], "properties": {"notes": NAME}}}

    reason: OneOf(CancelReason.values)
    notes: str = ""
    notify: Flag = False
    lines: list[CancelLineIn] | None = Field(None, json_schema_extra={"minItems": 1})


@router.post("/backorders/{number}/cancel", response=BackorderDetail,
             auth=needs("backorders.manage"))
def post_cancel(request, number: str, payload: BackorderCancelIn):
    lines = None
    if payload.lines is not None:
        # SKUs in any case: the backorder's lines are matched by stored SKU.
        spelling = stored_skus([x.sku for x in payload.lines])
        lines = [CancelLine(spelling.get(sku_key(x.sku), x.sku), x.quantity)
                 for x in payload.lines]
    cancel_backorder_and_feed(
        number=number, reason=payload.reason, notes=payload.notes, notify=payload.notify,
        lines=lines, actor_id=actor_id(request))
    return render_backorder(selectors.backorder_detail(number))


class CommunicationIn(RequestSchema):
    method: OneOf(CommunicationMethod.values)
    summary: str = Field(..., min_length=1, json_schema_extra=NAME)
    next_follow_up: dt.date | None = None


@router.post("/backorders/{number}/communications", response={201: CommunicationOut},
             auth=needs("backorders.manage"))
def post_communication(request, number: str, payload: CommunicationIn):
    row = log_communication(number=number, method=payload.method, summary=payload.summary,
                            next_follow_up=payload.next_follow_up, actor_id=actor_id(request))
    return 201, {"id": row.id, "method": row.method, "summary": row.summary,
                 "next_follow_up": row.next_follow_up, "by": request.auth.username,
                 "created_at": row.created_at}

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.utils import timezone
from ninja import Field, Query, Router, Schema

from fillrate.api.auth import actor_id, needs
from fillrate.api.pagination import PageParams
from fillrate.api.routers.events import render_event
from fillrate.api.schemas import (
    CODE,
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
from fillrate.backorders import aging, lifecycle, selectors
from fillrate.backorders.models import (
    Backorder,
    CancelReason,
    CommunicationMethod,
    Preference,
    Priority,
    Substitution,
)
from fillrate.backorders.services import (
    CancelLine,
    log_communication,
    update_backorder,
)
from fillrate.catalog.keys import sku_key
from fillrate.catalog.selectors import stored_skus
from fillrate.comms.links import CHOICE_LINK_MAX_AGE, choice_url
from fillrate.core.business import business_settings
from fillrate.core.counting import count_rows
from fillrate.core.errors import Conflict
from fillrate.core.numbers import format_number
from fillrate.core.selectors import events_for
from fillrate.fulfilment.selectors import filtered_backorders
from fillrate.workflows.cancel_backorder import cancel_backorder_and_feed
from fillrate.workflows.substitute import SubstituteLine, propose_substitutes, substitute

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
    follow_up: Filter(selectors.FOLLOW_UP_FILTERS) | None = Field(
        None, description="due: active backorders whose next "
                          "follow-up is today or earlier, oldest date first")


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
    last_contact_at: dt.datetime | None
    next_follow_up: dt.date | None


class BackorderPage(Page[BackorderRow]):
    status_counts: dict[str, int]
    counts_estimated: bool = Field(
        description="true when `count` or `status_counts` are the database's estimates "
        "(large tables only: a count past 1,000 matches is estimated, not read)")


@router.get("/backorders", response=BackorderPage, auth=needs("backorders.view"))
def list_backorders(request, filters: Query[BackorderFilterParams], page: Query[PageParams]):
    settings = business_settings()
    qs = selectors.with_contacts(filtered_backorders(
        selectors.BackorderFilters(**filters.dict()),
        partial_shipments=settings.partial_shipments))
    rows = list(qs[page.offset: page.offset + page.limit])
    flags = selectors.row_flags(rows, max_age_days=settings.max_backorder_age_days)
    count = count_rows(qs)
    statuses = selectors.counted_statuses()
    return {
        "count": count.n,
        "status_counts": {k: c.n for k, c in statuses.items()},
        "counts_estimated": not (count.exact and all(c.exact for c in statuses.values())),
        "items": [
            {"number": b.number, "status": b.status, "customer": b.customer.code,
             "customer_name": b.customer.name,
             "sales_rep": b.customer.sales_rep.code if b.customer.sales_rep else None,
             "order": b.order.number, "priority": b.priority, "created_at": b.created_at,
             "expected_date": b.expected_date, "age_days": flags[b.id].age_days,
             "open_quantity": b.open_quantity, "allocated_quantity": b.allocated_quantity,
             # SQLite sums decimals as floats: give money its two places back.
             "value": b.value.quantize(CENTS), "flags": flags[b.id].names(),
             "last_contact_at": b.last_contact_at, "next_follow_up": b.next_follow_up}
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
    preference: str = Field(description="wait, partial, cancel, substitute, or empty")
    agreed: str
    next_follow_up: dt.date | None
    by: str | None
    created_at: dt.datetime


class SubstitutionOut(Schema):
    sku: str = Field(description="the backordered product")
    substitute_sku: str
    substitute_name: str
    quantity: int
    unit_price: Money
    status: str = Field(description="proposed (for the customer to accept through the "
                        "choice link), applied, or withdrawn")
    order: str
    order_line: int | None = Field(description="line_no of the substitute line on the order, "
                                   "once applied")
    created_at: dt.datetime


def render_substitution(s) -> dict:
    return {"sku": s.backorder_line.product.sku, "substitute_sku": s.product.sku,
            "substitute_name": s.product.name, "quantity": s.quantity,
            "unit_price": s.unit_price, "status": s.status,
            "order": format_number("SO", s.backorder.order_id),
            "order_line": s.order_line.line_no if s.order_line else None,
            "created_at": s.created_at}


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
    substitutions: list[SubstitutionOut]
    last_contact_at: dt.datetime | None
    next_follow_up: dt.date | None
    events: list[EventOut]


def render_communication(m) -> dict:
    return {"id": m.id, "method": m.method, "summary": m.summary, "preference": m.preference,
            "agreed": m.agreed, "next_follow_up": m.next_follow_up,
            "by": m.created_by.username if m.created_by else None, "created_at": m.created_at}


def render_backorder(b: Backorder) -> dict:
    lines = list(b.lines.all())
    stock = selectors.stock_of_products([x.product_id for x in lines], exclude_backorder=b.id)
    settings = business_settings()
    flags = selectors.row_flags([b], max_age_days=settings.max_backorder_age_days)[b.id]
    communications = list(b.communications.select_related("created_by").order_by("-id"))
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
            render_communication(m) for m in communications
        ],
        "substitutions": [render_substitution(s) for s in Substitution.objects.filter(
            backorder_id=b.id).select_related("backorder", "backorder_line__product",
                                               "product", "order_line").order_by("id")],
        "last_contact_at": communications[0].created_at if communications else None,
        "next_follow_up": selectors.follow_up_of(communications),
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
    preference: Filter(Preference.values) = Field(
        "", description="what the customer wants: wait, partial, cancel or substitute")
    agreed: str = Field("", description="the plan agreed with the customer")
    next_follow_up: dt.date | None = Field(None, description="today or later")


@router.post("/backorders/{number}/communications", response={201: CommunicationOut},
             auth=needs("backorders.manage"))
def post_communication(request, number: str, payload: CommunicationIn):
    row = log_communication(number=number, method=payload.method, summary=payload.summary,
                            preference=payload.preference, agreed=payload.agreed,
                            next_follow_up=payload.next_follow_up, actor_id=actor_id(request))
    return 201, render_communication(row)


class SubstituteLineIn(RequestSchema):
    sku: str = Field(..., min_length=1, description="the backordered product",
                     json_schema_extra=CODE)
    substitute_sku: str = Field(..., min_length=1, json_schema_extra=CODE)
    quantity: Count = Field(..., json_schema_extra=QUANTITY)
    unit_price: MoneyIn | None = Field(None, max_digits=12, decimal_places=2,
                                       description="the original line's price when left out")


class SubstituteIn(RequestSchema):
    lines: list[SubstituteLineIn] = Field(..., json_schema_extra={"minItems": 1})
    propose: Flag = Field(False, description="true: offer it to the customer, who accepts "
                          "it through the choice link; nothing moves until then")


@router.post("/backorders/{number}/substitute", response={201: BackorderDetail},
             auth=needs("backorders.manage"))
def post_substitute(request, number: str, payload: SubstituteIn):
    """Substitution at the original price: the backorder units are cancelled
    (reason `substituted`) and the substitute is added to the order, where it
    allocates like any line (and is backordered if short)."""
    lines = [SubstituteLine(x.sku, x.substitute_sku, x.quantity, x.unit_price)
             for x in payload.lines]
    if payload.propose:
        propose_substitutes(number=number, lines=lines, actor_id=actor_id(request))
    else:
        substitute(number=number, lines=lines, actor_id=actor_id(request))
    return 201, render_backorder(selectors.backorder_detail(number))


class ChoiceLinkOut(Schema):
    backorder: str
    url: str = Field(description="absolute (FILLRATE_PUBLIC_URL), signed, single-use")
    expires_at: dt.datetime


@router.get("/backorders/{number}/choice-link", response=ChoiceLinkOut,
            auth=needs("backorders.view"))
def get_choice_link(request, number: str):
    """A new signed link for the customer's choice page (wait, ship what is
    ready now, cancel, accept a proposed substitute), to read out or send
    during a call. It works once, for 14 days; each call makes a new one. A
    closed backorder (complete, cancelled): 409 `backorders.closed`."""
    backorder = selectors.backorder_detail(number)
    if backorder.status in lifecycle.TERMINAL:
        raise Conflict("backorders.closed", f"{number} is {backorder.status}")
    return {"backorder": backorder.number, "url": choice_url(backorder),
            "expires_at": timezone.now() + CHOICE_LINK_MAX_AGE}

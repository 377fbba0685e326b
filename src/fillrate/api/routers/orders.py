from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.http import JsonResponse
from ninja import Field, Query, Router, Schema
from ninja.responses import NinjaJSONEncoder

from fillrate.api.auth import actor_id, needs
from fillrate.api.pagination import PageParams, paginate
from fillrate.api.routers.backorders import BackorderDetail, render_backorder
from fillrate.api.schemas import (
    POSITIVE_MONEY,
    QUANTITY,
    Count,
    Filter,
    Flag,
    Money,
    MoneyIn,
    OneOf,
    Page,
    RequestSchema,
    money_text,
)
from fillrate.backorders.selectors import applied_substitutions, backorder_detail, order_view
from fillrate.core.business import BusinessSettings, business_settings
from fillrate.core.numbers import format_number
from fillrate.orders import selectors
from fillrate.orders.models import OrderStatus, RefundMethod, SalesOrder
from fillrate.orders.services import LineInput
from fillrate.workflows.cancel_order import cancel_order
from fillrate.workflows.oversold import ACTIONS, hold_order, release_order, resolve_oversold
from fillrate.workflows.payments import pay_order, refund_order
from fillrate.workflows.place_order_any_case import place_order_any_case
from fillrate.workflows.split_order import SplitLine, backorder_order_lines

router = Router(tags=["orders"])


class OrderLineIn(RequestSchema):
    sku: str = Field(..., min_length=1)
    quantity: Count = Field(..., json_schema_extra=QUANTITY)
    unit_price: MoneyIn | None = Field(None, max_digits=12, decimal_places=2)


class OrderIn(RequestSchema):
    customer: str = Field(..., min_length=1)
    lines: list[OrderLineIn] = Field(..., json_schema_extra={"minItems": 1})
    reference: str = Field("", max_length=100)
    hold: Flag = False


class OrderLineOut(Schema):
    id: int
    line_no: int
    sku: str
    name: str
    quantity: int
    allocated: int = Field(description="units held for this line itself, not yet shipped")
    backordered: int = Field(
        description="units on the line's open backorders, not yet shipped: waiting, or "
        "already held for the backorder (its lines say how many are allocated)")
    shipped: int
    cancelled: int
    unallocated: int
    unit_price: Money
    substitute_for: dict | None = Field(
        None, description="on a line added as a substitute: {backorder, sku} it replaces")
    substitutes: list[dict] = Field(
        [], description="on a line whose backordered units were substituted: "
        "[{backorder, line, sku, quantity}] of the lines that replace them")


class BackorderRef(Schema):
    number: str
    status: str


class CreditOut(Schema):
    number: str
    order: str
    amount: Money
    reason: str
    source: str
    created_at: dt.datetime


class RefundOut(Schema):
    number: str
    order: str
    amount: Money
    method: str
    reference: str
    created_at: dt.datetime


def render_credit(c) -> dict:
    return {"number": c.number, "order": format_number("SO", c.order_id),
            "amount": money_text(c.amount), "reason": c.reason, "source": c.source,
            "created_at": c.created_at}


def render_refund(r) -> dict:
    return {"number": r.number, "order": format_number("SO", r.order_id),
            "amount": money_text(r.amount), "method": r.method, "reference": r.reference,
            "created_at": r.created_at}


class OrderOut(Schema):
    number: str
    status: str
    customer: str
    reference: str
    created_at: dt.datetime
    ship_complete: bool
    ready_to_ship: bool
    payment_status: str
    total: Money
    backordered_value: Money
    amount_paid: Money
    amount_due: Money
    credited: Money = Field(description="credits issued: money owed back for paid units "
                            "that were cancelled or substituted down")
    refunded: Money = Field(description="money paid back against the credits")
    owed_back: Money = Field(description="credited minus refunded")
    lines: list[OrderLineOut]
    backorders: list[BackorderRef]
    credits: list[CreditOut]
    refunds: list[RefundOut]


def render_order(order: SalesOrder, lines, backorders, backorder_held: dict[int, int],
                 settings: BusinessSettings | None = None, *, credits=(),
                 refunds=(), substitutions=()) -> dict:
    """`credits`, `refunds` and applied `substitutions` of the order (a new
    order has none: the order hot path reads none of them)."""
    replaced = {s.order_line_id: {"backorder": s.backorder.number,
                                  "sku": s.backorder_line.product.sku}
                for s in substitutions}
    replacing: dict[int, list] = {}
    for s in substitutions:
        replacing.setdefault(s.backorder_line.order_line_id, []).append(
            {"backorder": s.backorder.number, "line": s.order_line.line_no,
             "sku": s.product.sku, "quantity": s.quantity})
    settings = settings or business_settings()
    credited = sum((c.amount for c in credits), Decimal("0"))
    refunded = sum((r.amount for r in refunds), Decimal("0"))
    totals = selectors.order_totals(
        lines=lines, amount_paid=order.amount_paid,
        charge_backorders_on_shipment=settings.charge_backorders_on_shipment,
        credited=credited)
    return {
        "number": order.number, "status": order.status, "customer": order.customer.code,
        "reference": order.reference, "created_at": order.created_at,
        "ship_complete": order.ship_complete,
        "ready_to_ship": selectors.ready_to_ship(order, lines, backorder_held),
        "payment_status": "paid" if order.amount_paid and not totals.amount_due else "unpaid",
        "total": money_text(totals.total),
        "backordered_value": money_text(totals.backordered_value),
        "amount_paid": money_text(order.amount_paid),
        "amount_due": money_text(totals.amount_due),
        "credited": money_text(credited), "refunded": money_text(refunded),
        "owed_back": money_text(max(credited - refunded, Decimal("0"))),
        "credits": [render_credit(c) for c in credits],
        "refunds": [render_refund(r) for r in refunds],
        "lines": [
            {"id": x.id, "line_no": x.line_no, "sku": x.product.sku, "name": x.product.name,
             "quantity": x.quantity, "allocated": x.allocated, "backordered": x.backordered,
             "shipped": x.shipped, "cancelled": x.cancelled, "unallocated": x.unallocated,
             "unit_price": money_text(x.unit_price),
             "substitute_for": replaced.get(x.id), "substitutes": replacing.get(x.id, [])}
            for x in lines
        ],
        "backorders": [{"number": b.number, "status": b.status} for b in backorders],
    }


def render_order_detail(number: str) -> dict:
    view = order_view(number)
    return render_order(view.order, view.lines, view.backorders, view.backorder_held,
                        credits=list(view.order.credits.all()),
                        refunds=list(view.order.refunds.all()),
                        substitutions=applied_substitutions(view.order.id))


@router.post("/orders", response={201: OrderOut}, auth=needs("orders.place"))
def post_order(request, payload: OrderIn):
    placed = place_order_any_case(
        customer=payload.customer, reference=payload.reference, hold=payload.hold,
        lines=[LineInput(x.sku, x.quantity, x.unit_price) for x in payload.lines],
        actor_id=actor_id(request))
    # The hot path: the dict is `OrderOut` already (a test holds it to the
    # schema), so it is encoded as is rather than validated field by field again.
    # A new order's backorders hold nothing yet.
    return JsonResponse(render_order(placed.order, placed.lines, placed.backorders, {},
                                     placed.settings),
                        status=201, encoder=NinjaJSONEncoder)


class OrderFilters(Schema):
    status: Filter(OrderStatus.values) | None = None
    customer: str | None = None


class OrderRow(Schema):
    number: str
    status: str
    customer: str
    reference: str
    created_at: dt.datetime


def render_row(order: SalesOrder) -> dict:
    return {"number": order.number, "status": order.status, "customer": order.customer.code,
            "reference": order.reference, "created_at": order.created_at}


@router.get("/orders", response=Page[OrderRow], auth=needs("orders.view"))
def list_orders(request, filters: Query[OrderFilters], page: Query[PageParams]):
    return paginate(selectors.orders(**filters.dict()), page, render_row)


class ShortLineOut(Schema):
    line: int
    sku: str
    quantity: int
    allocated: int
    shortfall: int


class OversoldOut(Schema):
    number: str
    customer: str
    created_at: dt.datetime
    lines: list[ShortLineOut]


@router.get("/orders/oversold", response=Page[OversoldOut], auth=needs("orders.view"))
def list_oversold(request, page: Query[PageParams]):
    return paginate(selectors.oversold_orders(), page, lambda o: {
        "number": o.number, "customer": o.customer.code, "created_at": o.created_at,
        "lines": [{"line": x.id, "sku": x.product.sku, "quantity": x.quantity,
                   "allocated": x.allocated, "shortfall": x.unallocated}
                  for x in o.lines.all() if x.unallocated],
    })


@router.get("/orders/{number}", response=OrderOut, auth=needs("orders.view"))
def get_order(request, number: str):
    return render_order_detail(number)


class SplitLineIn(RequestSchema):
    line: Count = Field(..., json_schema_extra=QUANTITY)
    quantity: Count = Field(..., json_schema_extra=QUANTITY)


class SplitIn(RequestSchema):
    lines: list[SplitLineIn] = Field(..., json_schema_extra={"minItems": 1})
    expected_date: dt.date | None = None
    reason: str = Field("", max_length=200)
    notes: str = ""


@router.post("/orders/{number}/backorder", response={201: BackorderDetail},
             auth=needs("orders.manage"))
def post_split(request, number: str, payload: SplitIn):
    backorder = backorder_order_lines(
        number=number, lines=[SplitLine(x.line, x.quantity) for x in payload.lines],
        expected_date=payload.expected_date, reason=payload.reason, notes=payload.notes,
        actor_id=actor_id(request))
    return 201, render_backorder(backorder_detail(backorder.number))


class CancelOrderIn(RequestSchema):
    notes: str = ""


@router.post("/orders/{number}/cancel", response=OrderOut, auth=needs("orders.manage"))
def post_cancel(request, number: str, payload: CancelOrderIn | None = None):
    cancel_order(number=number, notes=payload.notes if payload else "",
                 actor_id=actor_id(request))
    return render_order_detail(number)


class OversoldActionIn(RequestSchema):
    action: OneOf(ACTIONS)


@router.post("/orders/{number}/resolve-oversold", response=OrderOut,
             auth=needs("orders.manage"))
def post_resolve_oversold(request, number: str, payload: OversoldActionIn):
    resolve_oversold(number=number, action=payload.action, actor_id=actor_id(request))
    return render_order_detail(number)


@router.post("/orders/{number}/hold", response=OrderOut, auth=needs("orders.manage"))
def post_hold(request, number: str):
    hold_order(number=number, actor_id=actor_id(request))
    return render_order_detail(number)


@router.post("/orders/{number}/release", response=OrderOut, auth=needs("orders.manage"))
def post_release(request, number: str):
    release_order(number=number, actor_id=actor_id(request))
    return render_order_detail(number)


class PaymentIn(RequestSchema):
    amount: MoneyIn | None = Field(None, gt=0, max_digits=14, decimal_places=2,
                                   json_schema_extra={"pattern": POSITIVE_MONEY})


@router.post("/orders/{number}/payments", response={201: OrderOut},
             auth=needs("orders.manage"))
def post_payment(request, number: str, payload: PaymentIn | None = None):
    """Record a payment; without `amount`, of the amount now due."""
    pay_order(number=number, amount=payload.amount if payload else None,
              actor_id=actor_id(request))
    return 201, render_order_detail(number)


class RefundIn(RequestSchema):
    amount: MoneyIn = Field(..., max_digits=14, decimal_places=2,
                            json_schema_extra={"pattern": POSITIVE_MONEY})
    method: OneOf(RefundMethod.values)
    reference: str = Field("", max_length=100)


@router.post("/orders/{number}/refunds", response={201: OrderOut},
             auth=needs("orders.manage"))
def post_refund(request, number: str, payload: RefundIn):
    """Record money paid back against the order's credits (`owed_back`)."""
    refund_order(number=number, amount=payload.amount, method=payload.method,
                 reference=payload.reference, actor_id=actor_id(request))
    return 201, render_order_detail(number)

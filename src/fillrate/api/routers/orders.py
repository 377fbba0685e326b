from __future__ import annotations

import datetime as dt

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
from fillrate.backorders.selectors import backorder_detail, order_view
from fillrate.core.business import BusinessSettings, business_settings
from fillrate.orders import selectors
from fillrate.orders.models import OrderStatus, SalesOrder
from fillrate.orders.services import LineInput
from fillrate.workflows.cancel_order import cancel_order
from fillrate.workflows.oversold import ACTIONS, hold_order, release_order, resolve_oversold
from fillrate.workflows.payments import pay_order
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


class BackorderRef(Schema):
    number: str
    status: str


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
    lines: list[OrderLineOut]
    backorders: list[BackorderRef]


def render_order(order: SalesOrder, lines, backorders, backorder_held: dict[int, int],
                 settings: BusinessSettings | None = None) -> dict:
    settings = settings or business_settings()
    totals = selectors.order_totals(
        lines=lines, amount_paid=order.amount_paid,
        charge_backorders_on_shipment=settings.charge_backorders_on_shipment)
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
        "lines": [
            {"id": x.id, "line_no": x.line_no, "sku": x.product.sku, "name": x.product.name,
             "quantity": x.quantity, "allocated": x.allocated, "backordered": x.backordered,
             "shipped": x.shipped, "cancelled": x.cancelled, "unallocated": x.unallocated,
             "unit_price": money_text(x.unit_price)}
            for x in lines
        ],
        "backorders": [{"number": b.number, "status": b.status} for b in backorders],
    }


def render_order_detail(number: str) -> dict:
    view = order_view(number)
    return render_order(view.order, view.lines, view.backorders, view.backorder_held)


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

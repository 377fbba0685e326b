"""Fulfilling backorders and orders, dispatching fulfillments, invoices."""

from __future__ import annotations

import datetime as dt

from django.http import HttpResponse
from ninja import Field, Query, Router, Schema

from fillrate.api.auth import actor_id, needs
from fillrate.api.pagination import PageParams, paginate
from fillrate.api.schemas import QUANTITY, Count, Filter, Money, OneOf, Page, RequestSchema
from fillrate.backorders.models import Backorder
from fillrate.core.errors import InvalidValue
from fillrate.fulfilment import selectors
from fillrate.fulfilment.models import Fulfillment, FulfillmentStatus, Invoice
from fillrate.picking.pages import packing_slip_html
from fillrate.workflows.dispatch import (
    cancel_fulfillment,
    deliver_fulfillment,
    dispatch_fulfillment,
)
from fillrate.workflows.fulfil import (
    FulfilLine,
    fulfil_backorder,
    fulfil_backorders_by_product,
    fulfil_order,
)

router = Router(tags=["fulfillments"])


class FulfillmentLineOut(Schema):
    sku: str
    name: str
    order_line: int
    backorder: str | None
    quantity: int
    unit_price: Money


class FulfillmentOut(Schema):
    number: str
    status: str
    order: str
    customer: str
    backorder: str | None
    carrier: str
    tracking_number: str
    created_at: dt.datetime
    dispatched_at: dt.datetime | None
    delivered_at: dt.datetime | None
    cancelled_at: dt.datetime | None
    invoice: str | None
    total_quantity: int
    lines: list[FulfillmentLineOut]


def render_fulfillment(f: Fulfillment) -> dict:
    lines = list(f.lines.all())
    invoice = getattr(f, "invoice", None)
    return {
        "number": f.number, "status": f.status, "order": f.order.number,
        "customer": f.order.customer.code,
        "backorder": f.backorder.number if f.backorder_id else None,
        "carrier": f.carrier, "tracking_number": f.tracking_number, "created_at": f.created_at,
        "dispatched_at": f.dispatched_at, "delivered_at": f.delivered_at,
        "cancelled_at": f.cancelled_at, "invoice": invoice.number if invoice else None,
        "total_quantity": sum(x.quantity for x in lines),
        "lines": [
            {"sku": x.product.sku, "name": x.product.name, "order_line": x.order_line_id,
             "backorder": (Backorder(id=x.backorder_line.backorder_id).number
                           if x.backorder_line_id else None),
             "quantity": x.quantity, "unit_price": x.order_line.unit_price}
            for x in lines
        ],
    }


def detail(number: str) -> dict:
    return render_fulfillment(selectors.fulfillment_detail(number))


class FulfilLineIn(RequestSchema):
    sku: str = Field(..., min_length=1)
    quantity: Count = Field(..., json_schema_extra=QUANTITY)


class FulfilIn(RequestSchema):
    lines: list[FulfilLineIn] | None = Field(None, json_schema_extra={"minItems": 1})


class BatchIn(RequestSchema):
    sku: str = Field(..., min_length=1)


class BatchOut(Schema):
    sku: str
    fulfillments: list[FulfillmentOut]


@router.post("/backorders/fulfil-by-product", response={201: BatchOut},
             auth=needs("backorders.fulfil"))
def post_fulfil_by_product(request, payload: BatchIn):
    made = fulfil_backorders_by_product(sku=payload.sku, actor_id=actor_id(request))
    return 201, {"sku": payload.sku,
                 "fulfillments": [detail(f.number) for f in made]}


@router.post("/backorders/{number}/fulfil", response={201: FulfillmentOut},
             auth=needs("backorders.fulfil"))
def post_fulfil_backorder(request, number: str, payload: FulfilIn | None = None):
    payload = payload or FulfilIn()
    lines = None if payload.lines is None else [FulfilLine(x.sku, x.quantity)
                                                for x in payload.lines]
    made = fulfil_backorder(number=number, lines=lines, actor_id=actor_id(request))
    return 201, detail(made.number)


@router.post("/orders/{number}/fulfil", response={201: FulfillmentOut},
             auth=needs("orders.fulfil"))
def post_fulfil_order(request, number: str):
    made = fulfil_order(number=number, actor_id=actor_id(request))
    return 201, detail(made.number)


class FulfillmentFilters(Schema):
    status: Filter(FulfillmentStatus.values) | None = None
    order: str | None = None
    backorder: str | None = None


@router.get("/fulfillments", response=Page[FulfillmentOut], auth=needs("fulfilment.view"))
def list_fulfillments(request, filters: Query[FulfillmentFilters], page: Query[PageParams]):
    return paginate(selectors.fulfillments(**filters.dict()), page, render_fulfillment)


@router.get("/fulfillments/{number}", response=FulfillmentOut, auth=needs("fulfilment.view"))
def get_fulfillment(request, number: str):
    return detail(number)


@router.get("/fulfillments/{number}/packing-slip", auth=needs("fulfilment.view"),
            openapi_extra={"responses": {200: {
                "description": "the printable packing slip (HTML): what is in the box and "
                               "what is still on backorder with its expected date",
                "content": {"text/html": {"schema": {"type": "string"}}}}}})
def get_packing_slip(request, number: str):
    """The same page the staff web app prints (`picking.pages.packing_slip_html`)."""
    return HttpResponse(packing_slip_html(number), content_type="text/html; charset=utf-8")


class DispatchIn(RequestSchema):
    carrier: str = Field("", max_length=100)
    tracking_number: str = Field("", max_length=100)


@router.post("/fulfillments/{number}/dispatch", response=FulfillmentOut,
             auth=needs("fulfilment.manage"))
def post_dispatch(request, number: str, payload: DispatchIn | None = None):
    payload = payload or DispatchIn()
    dispatch_fulfillment(number=number, carrier=payload.carrier,
                         tracking_number=payload.tracking_number, actor_id=actor_id(request))
    return detail(number)


@router.post("/fulfillments/{number}/cancel", response=FulfillmentOut,
             auth=needs("fulfilment.manage"))
def post_cancel(request, number: str):
    cancel_fulfillment(number=number, actor_id=actor_id(request))
    return detail(number)


@router.post("/fulfillments/{number}/deliver", response=FulfillmentOut,
             auth=needs("fulfilment.manage"))
def post_deliver(request, number: str):
    deliver_fulfillment(number=number, actor_id=actor_id(request))
    return detail(number)


class InvoiceLineOut(Schema):
    sku: str
    description: str
    quantity: int
    rate: Money
    amount: Money


class InvoiceOut(Schema):
    number: str
    fulfillment: str
    order: str
    customer: str
    customer_name: str
    invoice_date: dt.date
    due_date: dt.date
    total: Money
    lines: list[InvoiceLineOut]


def render_invoice(inv: Invoice) -> dict:
    return {
        "number": inv.number, "fulfillment": inv.fulfillment.number, "order": inv.order.number,
        "customer": inv.customer.code, "customer_name": inv.customer.name,
        "invoice_date": inv.invoice_date, "due_date": inv.due_date, "total": inv.total,
        "lines": [{"sku": x.product.sku, "description": x.description, "quantity": x.quantity,
                   "rate": x.rate, "amount": x.amount} for x in inv.lines.all()],
    }


class FormatParams(Schema):
    format: OneOf(["json", "csv"]) = "json"


class InvoiceFilters(FormatParams):
    customer: str | None = None
    order: str | None = None


def _wants_csv(params: FormatParams) -> bool:
    if params.format not in ("json", "csv"):
        raise InvalidValue("fulfilment.invalid_format", "format is json or csv", field="format")
    return params.format == "csv"


def _csv_response(rows, filename: str) -> HttpResponse:
    response = HttpResponse(selectors.invoices_csv(rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@router.get("/invoices", response=Page[InvoiceOut], auth=needs("invoices.view"))
def list_invoices(request, filters: Query[InvoiceFilters], page: Query[PageParams]):
    """`?format=csv`: every matching invoice (not paginated) in QuickBooks'
    invoice import layout, one row per invoice line."""
    rows = selectors.invoices(customer=filters.customer, order=filters.order)
    if _wants_csv(filters):
        return _csv_response(rows, "invoices.csv")
    return paginate(rows, page, render_invoice)


@router.get("/invoices/{number}", response=InvoiceOut, auth=needs("invoices.view"))
def get_invoice(request, number: str, params: Query[FormatParams]):
    """`?format=csv`: this invoice in the list's QuickBooks layout."""
    invoice = selectors.invoice_detail(number)
    if _wants_csv(params):
        return _csv_response([invoice], f"{invoice.number}.csv")
    return render_invoice(invoice)

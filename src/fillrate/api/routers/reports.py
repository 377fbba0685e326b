"""The reports (API.md): JSON, or CSV with `?format=csv`. Everyone who may
read backorders may read them; `customer` or `sales_rep` narrows any of them
to one customer or one rep's customers."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pydantic_core
from django.http import HttpResponse
from ninja import Field, Query, Router, Schema
from pydantic import BaseModel, ConfigDict

from fillrate.api.auth import needs
from fillrate.api.pagination import PageParams
from fillrate.api.schemas import Day, Filter, Money, OneOf, Ratio, money_text
from fillrate.core.errors import InvalidValue
from fillrate.reports import exports
from fillrate.reports.backlog import (
    PRODUCT_ORDERINGS,
    backorder_aging,
    backorders_by_product,
    timeline,
)
from fillrate.reports.fill_rate import fill_rate, period_for
from fillrate.reports.reorder import reorder_suggestions
from fillrate.reports.review import max_age_review
from fillrate.reports.scope import BREAKDOWNS, check_breakdown, scope_for

router = Router(tags=["reports"])


class ScopeParams(Schema):
    format: OneOf(["json", "csv"]) = Field("json", description="json or csv")
    customer: str | None = Field(None, description="one customer's backorders (code)")
    sales_rep: str | None = Field(None, description="the backorders of one rep's customers")


def _scope(params: ScopeParams):
    if params.format not in ("json", "csv"):
        raise InvalidValue("reports.invalid_format", "format is json or csv", field="format")
    return scope_for(customer=params.customer, sales_rep=params.sales_rep)


def _csv(text: str, filename: str) -> HttpResponse:
    response = HttpResponse(text, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


class Out(BaseModel):
    """A report's answer: a plain pydantic model, validated in pydantic's
    core. ninja's `Schema` runs a Python validator per object (about 0.1 ms
    each): 0.7 s for the 5,000 customers of a breakdown."""

    model_config = ConfigDict(populate_by_name=True, from_attributes=True)


class Cell(Out):
    backorders: int
    units: int
    value: Money


class BucketCell(Cell):
    bucket: str
    label: str


class AgingGroup(Out):
    code: str
    name: str
    buckets: list[BucketCell]
    total: Cell


class AgingOut(Out):
    as_of: dt.datetime
    by: str | None
    buckets: list[BucketCell]
    total: Cell
    groups: list[AgingGroup]


class AgingParams(ScopeParams):
    by: Filter(BREAKDOWNS) | None = Field(None, description="customer, product or sales_rep")


@router.get("/reports/backorder-aging", response=AgingOut, auth=needs("backorders.view"))
def aging(request, params: Query[AgingParams]):
    """Open backorders (count, open units, value at locked prices) aged 0–7,
    8–14, 15–30 and 31+ whole days since they were opened, with totals."""
    scope = _scope(params)
    report = backorder_aging(by=check_breakdown(params.by), scope=scope)
    if params.format == "csv":
        return _csv(exports.aging_csv(report), "backorder-aging.csv")
    return answer_json(exports.aging_data(report))


def _money_values(data: dict) -> dict:
    """Every cell's `value` of an aging answer as two-place money text."""
    def cells(x: dict) -> None:
        for cell in x["buckets"]:
            cell["value"] = money_text(cell["value"])
        x["total"]["value"] = money_text(x["total"]["value"])

    cells(data)
    for group in data["groups"]:
        cells(group)
    return data


def answer_json(data: dict) -> HttpResponse:
    """The aging answer as its schema (`AgingOut`) renders it, without the
    per-object validation of the response model: for 5,000 customers x 4
    buckets that took two seconds. Money (`value`) as two-place strings,
    times as pydantic writes them; a test holds the two renderings equal."""
    return _as_json(_money_values(data))


def _as_json(data: dict) -> HttpResponse:
    """A report answer written as pydantic writes its response model, without
    validating it again (thousands of groups); a test per report holds the
    two renderings equal."""
    return HttpResponse(pydantic_core.to_json(data), content_type="application/json")


class BackloggedProduct(Out):
    sku: str
    name: str
    open_units: int
    waiting_units: int
    backorders: int
    customers: int
    value: Money
    on_hand: int
    available: int
    incoming: int
    earliest_receipt: dt.date | None
    shortfall: int
    oldest_age_days: int


class ProductPage(Out):
    items: list[BackloggedProduct]
    count: int


class ProductParams(ScopeParams):
    ordering: OneOf(PRODUCT_ORDERINGS) = Field(
        "value", description="value, units, shortfall, oldest or sku")


@router.get("/reports/backorders-by-product", response=ProductPage,
            auth=needs("backorders.view"))
def by_product(request, params: Query[ProductParams], page: Query[PageParams]):
    """One row per product with open backorder units; `?format=csv` has
    every row (not paginated)."""
    rows = backorders_by_product(scope=_scope(params), ordering=params.ordering)
    if params.format == "csv":
        return _csv(exports.products_csv(rows), "backorders-by-product.csv")
    window = rows[page.offset: page.offset + page.limit]
    return {"items": [exports.product_data(r) for r in window], "count": len(rows)}


class TimelineCell(Out):
    backorders: int
    open_units: int
    waiting_units: int
    value: Money
    incoming_units: int


class TimelineBucket(TimelineCell):
    bucket: str
    label: str


class TimelineWeek(TimelineCell):
    week_start: dt.date


class TimelineOut(Out):
    today: dt.date
    buckets: list[TimelineBucket]
    weeks: list[TimelineWeek]


class TimelineParams(ScopeParams):
    weeks: int = Field(8, ge=1, le=52, description="weeks in the weekly series")


@router.get("/reports/timeline", response=TimelineOut, auth=needs("backorders.view"))
def timeline_report(request, params: Query[TimelineParams]):
    """Open backorders by expected date (overdue, this week, next week, later
    this month, later, not dated; and week by week) against units due on
    ordered purchase orders."""
    report = timeline(scope=_scope(params), weeks=params.weeks)
    if params.format == "csv":
        return _csv(exports.timeline_csv(report), "timeline.csv")
    return exports.timeline_data(report)


class DaysToFill(Out):
    backorder_lines: int
    average: Ratio | None
    p90: int | None


class Cancellation(Out):
    reason: str
    backorders: int
    units: int


class FillRateFigures(Out):
    orders: int
    orders_complete: int
    orders_backordered: int
    lines: int
    lines_complete: int
    units_ordered: int
    units_first_shipment: int
    unit_fill_rate: Ratio | None
    line_fill_rate: Ratio | None
    order_fill_rate: Ratio | None
    backorder_rate: Ratio | None
    days_to_fill: DaysToFill
    cancellations: list[Cancellation]


class FillRateGroup(FillRateFigures):
    code: str
    name: str


class FillRateOut(Out):
    from_: dt.date = Field(..., alias="from")
    to: dt.date
    by: str | None
    pending_orders: int
    total: FillRateFigures
    groups: list[FillRateGroup]


class FillRateParams(AgingParams):
    start: Day | None = Field(None, alias="from", description="first day (default: 29 "
                              "days before `to`)")
    to: Day | None = Field(None, description="last day, inclusive (default: today)")


@router.get("/reports/fill-rate", response=FillRateOut, auth=needs("backorders.view"),
            by_alias=True)
def fill_rate_report(request, params: Query[FillRateParams]) -> Any:
    """Unit, line and order fill rate of orders placed in the period (what
    their first shipment carried), backorder rate, days to fill backorder
    lines filled in the period (average, 90th percentile) and backorders
    cancelled in it by reason. The README defines each figure."""
    scope = _scope(params)
    report = fill_rate(period=period_for(start=params.start, end=params.to),
                       by=check_breakdown(params.by), scope=scope)
    if params.format == "csv":
        return _csv(exports.fill_rate_csv(report), "fill-rate.csv")
    # As `FillRateOut` renders it (ratios and averages as decimal strings),
    # without validating 5,000 customers' figures again; a test holds the
    # two renderings equal.
    return _as_json(exports.fill_rate_data(report))


class ReviewRowOut(Out):
    number: str
    customer: str
    created_at: dt.datetime
    age_days: int
    open_quantity: int
    value: Money
    expected_date: dt.date | None
    incoming: int
    next_receipt: dt.date | None
    last_contact_at: dt.datetime | None
    last_contact_method: str | None
    last_contact_summary: str | None


class ReviewOut(Out):
    max_age_days: int
    count: int
    items: list[ReviewRowOut]


@router.get("/reports/max-age-review", response=ReviewOut, auth=needs("backorders.view"))
def max_age_review_report(request, params: Query[ScopeParams]):
    """Active backorders open longer than `max_backorder_age_days`, oldest
    first (the first 200), with the last contact, expected date and what is
    on order for their products. `customer`/`sales_rep` are not used here."""
    _scope(params)
    review = max_age_review()
    rows = [exports.review_data(r) for r in review.rows]
    if params.format == "csv":
        return _csv(exports.review_csv(rows), "max-age-review.csv")
    return {"max_age_days": review.max_age_days, "count": review.count, "items": rows}


class SuggestionOut(Out):
    supplier: str | None
    sku: str
    name: str
    waiting: int
    reorder_point: int
    available: int
    incoming: int
    suggested: int


@router.get("/reports/reorder-suggestions", response=list[SuggestionOut],
            auth=needs("backorders.view"))
def reorder_suggestions_report(request, params: Query[ScopeParams]):
    """Per product: waiting backorder units + reorder point - available -
    incoming, when above zero, by preferred supplier (none: `supplier` null)."""
    _scope(params)
    rows = exports.suggestion_rows(reorder_suggestions())
    if params.format == "csv":
        return _csv(exports.suggestions_csv(rows), "reorder-suggestions.csv")
    return rows

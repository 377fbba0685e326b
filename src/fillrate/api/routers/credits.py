"""Money owed back: credits (JSON, or `?format=csv` as QuickBooks credit memos)."""

from __future__ import annotations

from django.http import HttpResponse
from ninja import Field, Query, Router, Schema

from fillrate.api.auth import needs
from fillrate.api.pagination import PageParams, paginate
from fillrate.api.routers.orders import CreditOut, render_credit
from fillrate.api.schemas import SPACE, OneOf, Page
from fillrate.core.errors import InvalidValue
from fillrate.orders.credit_memos import credit_memo_csv, credits

router = Router(tags=["orders"])

# An order's number as core.numbers reads it (SO-000123, any case, spaces
# around), or empty for every order.
ORDER_NUMBER = {"pattern": f"^([{SPACE}]*[Ss][Oo]-0*[0-9]{{1,18}}[{SPACE}]*)?$"}


class CreditFilters(Schema):
    customer: str | None = Field(None, description="one customer's credits (code)")
    order: str | None = Field(None, description="one order's credits (SO-000123)",
                              json_schema_extra=ORDER_NUMBER)
    format: OneOf(["json", "csv"]) = Field(
        "json", description="json, or csv: QuickBooks credit-memo import "
        "layout, every credit matching the filters")


class CreditRow(CreditOut):
    customer: str


@router.get("/credits", response=Page[CreditRow], auth=needs("invoices.view"))
def list_credits(request, filters: Query[CreditFilters], page: Query[PageParams]):
    if filters.format not in ("json", "csv"):
        raise InvalidValue("orders.invalid_format", "format is json or csv", field="format")
    qs = credits(customer=filters.customer, order=filters.order)
    if filters.format == "csv":
        response = HttpResponse(credit_memo_csv(qs), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="credit-memos.csv"'
        return response
    return paginate(qs, page, lambda c: {**render_credit(c), "customer": c.order.customer.code})

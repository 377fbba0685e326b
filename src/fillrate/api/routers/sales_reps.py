"""Sales reps (reference data): customers name theirs by code."""

from __future__ import annotations

from ninja import Field, Query, Router, Schema

from fillrate.api.auth import actor_id, needs
from fillrate.api.pagination import PageParams, paginate
from fillrate.api.schemas import EMAIL, NAME, PLACE_CODE, Page, RequestSchema
from fillrate.customers.models import SalesRep
from fillrate.customers.selectors import sales_rep_by_code, sales_reps
from fillrate.customers.services import create_sales_rep, update_sales_rep

router = Router(tags=["sales reps"])


class SalesRepIn(RequestSchema):
    code: str = Field(..., min_length=1, max_length=32, json_schema_extra=PLACE_CODE)
    name: str = Field(..., min_length=1, max_length=200, json_schema_extra=NAME)
    email: str = Field("", max_length=254, json_schema_extra=EMAIL)


class SalesRepPatch(RequestSchema):
    PARTIAL = True
    NULLABLE = frozenset({"email"})  # null: no email
    # A field that cannot change (the code) is refused, not silently ignored.

    name: str | None = Field(None, json_schema_extra={**NAME, "maxLength": 200})
    email: str | None = Field(None, json_schema_extra={**EMAIL, "maxLength": 254})


class SalesRepOut(Schema):
    code: str
    name: str
    email: str
    customers: int


def render(rep: SalesRep) -> dict:
    return {"code": rep.code, "name": rep.name, "email": rep.email,
            "customers": rep.customer_count}


@router.post("/sales-reps", response={201: SalesRepOut}, auth=needs("reference.manage"))
def post_sales_rep(request, payload: SalesRepIn):
    rep = create_sales_rep(**payload.dict(), actor_id=actor_id(request))
    return 201, render(sales_rep_by_code(rep.code))


@router.get("/sales-reps", response=Page[SalesRepOut], auth=needs("reference.view"))
def list_sales_reps(request, page: Query[PageParams]):
    return paginate(sales_reps(), page, render)


@router.get("/sales-reps/{code}", response=SalesRepOut, auth=needs("reference.view"))
def get_sales_rep(request, code: str):
    return render(sales_rep_by_code(code))


@router.patch("/sales-reps/{code}", response=SalesRepOut, auth=needs("reference.manage"))
def patch_sales_rep(request, code: str, payload: SalesRepPatch):
    rep = sales_rep_by_code(code)
    update_sales_rep(sales_rep_id=rep.id, changes=payload.dict(exclude_unset=True),
                     actor_id=actor_id(request))
    return render(sales_rep_by_code(code))

from __future__ import annotations

from ninja import Query, Router, Schema

from fillrate.api.auth import actor_id, needs
from fillrate.api.pagination import PageParams, paginate
from fillrate.api.schemas import CustomerIn, CustomerOut, CustomerPatch, Page
from fillrate.customers.models import Customer
from fillrate.customers.selectors import customer_by_code, customers
from fillrate.customers.services import create_customer, update_customer

router = Router(tags=["customers"])


class CustomerFilters(Schema):
    search: str = ""
    vip: bool | None = None
    sales_rep: str | None = None


def render(customer: Customer) -> dict:
    return {
        "code": customer.code, "name": customer.name, "email": customer.email,
        "phone": customer.phone, "vip": customer.vip,
        "sales_rep": customer.sales_rep.code if customer.sales_rep else None,
        "delivery_address": customer.delivery_address, "payment_terms": customer.payment_terms,
    }


@router.post("/customers", response={201: CustomerOut}, auth=needs("customers.manage"))
def post_customer(request, payload: CustomerIn):
    customer = create_customer(**payload.dict(), actor_id=actor_id(request))
    return 201, render(customer_by_code(customer.code))


@router.get("/customers", response=Page[CustomerOut], auth=needs("customers.view"))
def list_customers(request, filters: Query[CustomerFilters], page: Query[PageParams]):
    return paginate(customers(**filters.dict()), page, render)


@router.get("/customers/{path:code}", response=CustomerOut, auth=needs("customers.view"))
def get_customer(request, code: str):
    return render(customer_by_code(code))


@router.patch(
    "/customers/{path:code}", response=CustomerOut, auth=needs("customers.manage"),
    description="Change a customer's master data: only the fields sent change, one "
    "`CustomerUpdated` event per changed field (old and new value). `sales_rep` is a sales "
    "rep's code (unknown: 404 `customers.unknown_sales_rep`) or null for none. The code "
    "cannot be changed.")
def patch_customer(request, code: str, payload: CustomerPatch):
    customer = update_customer(code=code, changes=payload.dict(exclude_unset=True),
                               actor_id=actor_id(request))
    return render(customer_by_code(customer.code))

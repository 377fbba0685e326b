from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from fillrate.core.errors import NotFound
from fillrate.core.selectors import suggestions
from fillrate.customers.models import Customer, SalesRep


def customer_by_code(code: str, *, field: str = "customer") -> Customer:
    customer = Customer.objects.select_related("sales_rep").filter(code=code).first()
    if customer is None:
        raise NotFound("customers.unknown_customer", f"no customer {code!r}", field=field)
    return customer


def customers(*, search: str = "", vip: bool | None = None,
              sales_rep: str | None = None) -> QuerySet[Customer]:
    qs = Customer.objects.select_related("sales_rep").order_by("code")
    if search:
        qs = qs.filter(Q(code__icontains=search) | Q(name__icontains=search)
                       | Q(email__icontains=search))
    if vip is not None:
        qs = qs.filter(vip=vip)
    if sales_rep:
        qs = qs.filter(sales_rep__code=sales_rep)
    return qs


def sales_reps() -> QuerySet[SalesRep]:
    """Sales reps by name, each with `customer_count`."""
    return SalesRep.objects.annotate(customer_count=Count("customers")).order_by("name", "code")


def sales_rep_by_code(code: str, *, field: str = "code") -> SalesRep:
    rep = sales_reps().filter(code=code).first()
    if rep is None:
        raise NotFound("customers.unknown_sales_rep", f"no sales rep {code!r}", field=field)
    return rep


def customer_suggestions(text: str, *, limit: int = 12) -> list[Customer]:
    """Customers by code or name as you type (`fillrate.core.selectors.suggestions`)."""
    return suggestions(Customer.objects.all(), code="code", text=text, limit=limit)

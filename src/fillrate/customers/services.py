"""Customers and sales reps."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction

from fillrate.core.errors import Conflict, InvalidValue, NotFound
from fillrate.core.events import record_event
from fillrate.customers.models import Customer, SalesRep


def create_sales_rep(*, code: str, name: str, email: str = "") -> SalesRep:
    with transaction.atomic():
        if SalesRep.objects.filter(code__iexact=code).exists():
            raise Conflict("customers.duplicate_sales_rep", f"sales rep {code!r} exists already",
                           field="code")
        return SalesRep.objects.create(code=code, name=name, email=email)


def create_customer(
    *, code: str, name: str, email: str = "", phone: str = "", vip: bool = False,
    sales_rep: str | None = None, delivery_address: str = "", payment_terms: str = "",
    actor_id: int | None = None,
) -> Customer:
    """Raises `customers.duplicate_code`, `customers.invalid_email`,
    `customers.unknown_sales_rep`."""
    code = (code or "").strip()
    if not code or any(c.isspace() for c in code):
        raise InvalidValue("customers.invalid_code", "a customer code is required and has no "
                           "spaces", field="code")
    if not (name or "").strip():
        raise InvalidValue("customers.invalid_name", "a customer needs a name", field="name")
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise InvalidValue("customers.invalid_email", f"{email!r} is not an email address",
                               field="email") from None
    with transaction.atomic():
        rep = None
        if sales_rep:
            rep = SalesRep.objects.filter(code=sales_rep).first()
            if rep is None:
                raise NotFound("customers.unknown_sales_rep", f"no sales rep {sales_rep!r}",
                               field="sales_rep")
        if Customer.objects.filter(code__iexact=code).exists():
            raise Conflict("customers.duplicate_code", f"customer {code!r} exists already",
                           field="code")
        customer = Customer.objects.create(
            code=code, name=name.strip(), email=email, phone=phone, vip=vip, sales_rep=rep,
            delivery_address=delivery_address, payment_terms=payment_terms,
        )
        record_event(type="CustomerCreated", subject_type="customer", subject=code,
                     actor_id=actor_id, payload={"name": customer.name, "vip": vip})
    return customer

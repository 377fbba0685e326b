"""Customers and sales reps."""

from __future__ import annotations

from django.db import transaction

from fillrate.core.errors import Conflict, InvalidValue, NotFound
from fillrate.core.event_types import EventType
from fillrate.core.events import record_event, save_field_changes
from fillrate.core.validation import check_email
from fillrate.customers.models import Customer, SalesRep


def _rep_name(name) -> str:
    if not isinstance(name, str) or not name.strip():
        raise InvalidValue("customers.invalid_name", "a sales rep needs a name", field="name")
    if len(name.strip()) > 200:
        raise InvalidValue("customers.invalid_name", "name is at most 200 characters",
                           field="name")
    return name.strip()


def _email(email) -> str:
    if email is None:
        return ""
    if not isinstance(email, str):
        raise InvalidValue("customers.invalid_email", "email is text", field="email")
    email = email.strip()
    if email:
        check_email(email, app="customers")
    return email


def create_sales_rep(*, code: str, name: str, email: str = "",
                     actor_id: int | None = None) -> SalesRep:
    """Raises 422 `customers.invalid_sales_rep_code`, `customers.invalid_name`,
    `customers.invalid_email`; 409 `customers.duplicate_sales_rep` (codes
    compare case-insensitively)."""
    code = (code or "").strip()
    if not code or any(c.isspace() or c == "/" for c in code) or len(code) > 32:
        raise InvalidValue("customers.invalid_sales_rep_code",
                           "a sales rep code is 1 to 32 characters without spaces or '/'",
                           field="code")
    name = _rep_name(name)
    email = _email(email)
    with transaction.atomic():
        if SalesRep.objects.filter(code__iexact=code).exists():
            raise Conflict("customers.duplicate_sales_rep", f"sales rep {code!r} exists already",
                           field="code")
        rep = SalesRep.objects.create(code=code, name=name, email=email)
        record_event(type=EventType.SALES_REP_CREATED, subject_type="sales_rep", subject=code,
                     actor_id=actor_id, payload={"name": name, "email": email})
    return rep


def update_sales_rep(*, sales_rep_id: int, changes: dict, actor_id: int | None = None) -> SalesRep:
    """Change a sales rep's `name` or `email` (the code stays). Raises 404
    `customers.unknown_sales_rep`; 422 `customers.not_editable`,
    `customers.invalid_name`, `customers.invalid_email`. One
    `SalesRepUpdated` event with old and new values, none when nothing
    changed."""
    unknown = sorted(set(changes) - {"name", "email"})
    if unknown:
        raise InvalidValue("customers.not_editable", f"{unknown[0]} cannot be changed",
                           field=unknown[0])
    new = {}
    if "name" in changes:
        new["name"] = _rep_name(changes["name"])
    if "email" in changes:
        new["email"] = _email(changes["email"])
    with transaction.atomic():
        rep = SalesRep.objects.select_for_update().filter(id=sales_rep_id).first()
        if rep is None:
            raise NotFound("customers.unknown_sales_rep", "no such sales rep", field="sales_rep")
        changed = {f: [getattr(rep, f), v] for f, v in new.items() if getattr(rep, f) != v}
        if changed:
            for f, (_, value) in changed.items():
                setattr(rep, f, value)
            rep.save(update_fields=list(changed))
            record_event(type=EventType.SALES_REP_UPDATED,
                         subject_type="sales_rep", subject=rep.code,
                         actor_id=actor_id, payload={"changes": changed})
    return rep


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
        check_email(email, app="customers")
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
        record_event(type=EventType.CUSTOMER_CREATED, subject_type="customer", subject=code,
                     actor_id=actor_id, payload={"name": customer.name, "vip": vip})
    return customer


# What `update_customer` may change, with the longest text each field takes.
EDITABLE = {"name": 200, "email": 254, "phone": 40, "vip": None, "sales_rep": None,
            "delivery_address": None, "payment_terms": 40}


def _clean_customer_change(field: str, value):
    if field == "vip":
        if not isinstance(value, bool):
            raise InvalidValue("customers.invalid_value", "vip is true or false", field=field)
        return value
    if field == "sales_rep" and value is None:
        return None
    if not isinstance(value, str):
        raise InvalidValue("customers.invalid_value", f"{field} is text", field=field)
    value = value.strip()
    if field == "name" and not value:
        raise InvalidValue("customers.invalid_name", "a customer needs a name", field="name")
    if field == "email":
        value = check_email(value, app="customers")
    limit = EDITABLE[field]
    if limit is not None and len(value) > limit:
        raise InvalidValue("customers.invalid_value", f"{field} takes at most {limit} characters",
                           field=field)
    if field == "sales_rep":
        return value or None
    return value


def _shown(value):
    """A sales rep by its code in an event; other values as they are."""
    if isinstance(value, SalesRep):
        return value.code
    return value


def update_customer(*, code: str, changes: dict, actor_id: int | None = None) -> Customer:
    """Change a customer's master data: any of `EDITABLE` (not the code, which
    names the customer on every document). `sales_rep` is a sales rep's code,
    or None (or "") for none. One `CustomerUpdated` event per changed field
    with old and new value (the sales rep by code).

    Locks the customer row. Raises `customers.unknown_customer` and
    `customers.unknown_sales_rep` (404), `customers.not_editable` (422, a
    field that cannot be changed) and the field errors of `create_customer`;
    on any error nothing changes."""
    unknown = sorted(set(changes) - set(EDITABLE))
    if unknown:
        raise InvalidValue("customers.not_editable", f"{unknown[0]} cannot be changed here",
                           field=unknown[0])
    clean = {field: _clean_customer_change(field, value) for field, value in changes.items()}
    with transaction.atomic():
        customer = (Customer.objects.select_for_update(of=("self",)).select_related("sales_rep")
                    .filter(code=code).first())
        if customer is None:
            raise NotFound("customers.unknown_customer", f"no customer {code!r}",
                           field="customer")
        if clean.get("sales_rep"):
            rep = SalesRep.objects.filter(code=clean["sales_rep"]).first()
            if rep is None:
                raise NotFound("customers.unknown_sales_rep",
                               f"no sales rep {clean['sales_rep']!r}", field="sales_rep")
            clean["sales_rep"] = rep
        save_field_changes(customer, clean, type=EventType.CUSTOMER_UPDATED,
                           subject_type="customer", subject=customer.code, actor_id=actor_id,
                           shown=_shown)
    return customer

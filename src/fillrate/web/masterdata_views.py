"""Staff pages that change master data: edit a product, a customer or a
supplier; discontinue a product (and cancel what waits for it); and the
as-you-type suggestions for customer and SKU fields. Each view parses the
form, calls one service or workflow, and renders; domain errors are shown
next to the field they name."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse

from fillrate.backorders.selectors import waiting_for_product
from fillrate.catalog.selectors import product_by_sku, product_suggestions
from fillrate.catalog.services import update_product
from fillrate.core.errors import DomainError
from fillrate.customers.selectors import customer_by_code, customer_suggestions, sales_reps
from fillrate.customers.services import update_customer
from fillrate.purchasing.selectors import supplier_by_code
from fillrate.purchasing.services import MAX_LEAD_TIME_DAYS
from fillrate.purchasing.suppliers import update_supplier
from fillrate.web.permissions import requires
from fillrate.workflows.discontinue import discontinue_product


def _not_found(request, error: DomainError):
    return render(request, "web/not_found.html", {"message": error.message}, status=404)


@dataclass
class Field:
    """One input of an edit form, as the shared template draws it."""

    name: str
    label: str
    value: object = ""
    kind: str = "text"  # text, email, number, money, textarea, checkbox, select
    max_length: int | None = None
    help: str = ""
    choices: list[tuple[str, str]] = field(default_factory=list)
    error: str = ""


def _edit_page(request, *, title: str, subject: str, fields: list[Field], back: str,
               form_error: str = "", status: int = 200):
    return render(request, "web/masterdata/edit.html", {
        "title": title, "subject": subject, "fields": fields, "back": back,
        "form_error": form_error,
    }, status=status)


def _named(fields: list[Field], name: str) -> Field:
    return next(f for f in fields if f.name == name)


def _place_error(fields: list[Field], error: DomainError) -> str:
    """Put a refused change's message on its field; '' when it found one."""
    for f in fields:
        if f.name == error.field:
            f.error = error.message
            return ""
    return error.message


def _save(fields: list[Field], changes: dict, save) -> str | None:
    """Run `save(changes)` unless a field is already marked wrong. Returns
    the form-level error ('' when a field got it), or None when saved."""
    if any(f.error for f in fields):
        return ""
    try:
        save(changes)
    except DomainError as error:
        return _place_error(fields, error)
    return None


# --- products ----------------------------------------------------------------

def _product_fields(product, data=None) -> list[Field]:
    def value(name, current):
        return data.get(name, "") if data is not None else current

    return [
        Field("name", "Name", value("name", product.name), max_length=200),
        Field("variant", "Variant", value("variant", product.variant), max_length=100,
              help="e.g. colour or size"),
        Field("upc", "UPC", value("upc", product.upc), max_length=32),
        Field("category", "Category", value("category", product.category), max_length=100),
        Field("list_price", "List price", value("list_price", product.list_price), "money",
              help="Prices orders placed from now on; order lines keep their price."),
        Field("description", "Description", value("description", product.description),
              "textarea"),
        Field("discontinued", "Discontinued (cannot be ordered or purchased)",
              (data.get("discontinued") == "on") if data is not None else product.discontinued,
              "checkbox", help="Use Discontinue on the product page to also cancel what "
              "customers wait for."),
    ]


@requires("catalog.manage")
def product_edit(request, sku: str):
    try:
        product = product_by_sku(sku)
    except DomainError as error:
        return _not_found(request, error)
    if request.method != "POST":
        return _edit_page(request, title=f"Edit {product.sku}", subject=product.name,
                          fields=_product_fields(product),
                          back=reverse("web:product", kwargs={"sku": product.sku}))
    fields = _product_fields(product, request.POST)
    changes = {f.name: f.value.strip() if isinstance(f.value, str) else f.value
               for f in fields}
    try:
        changes["list_price"] = Decimal(changes["list_price"])
    except InvalidOperation:
        _named(fields, "list_price").error = "Enter a price like 12.50."
    error = _save(fields, changes, lambda c: update_product(
        sku=product.sku, changes=c, actor_id=request.user.id))
    if error is None:
        messages.success(request, f"{product.sku} saved.")
        return redirect("web:product", sku=product.sku)
    return _edit_page(request, title=f"Edit {product.sku}", subject=product.name,
                      fields=fields, back=reverse("web:product", kwargs={"sku": product.sku}),
                      form_error=error, status=422)


@requires("catalog.manage")
def product_discontinue(request, sku: str):
    """GET: the question as a page (the product page asks it in a dialog);
    POST: discontinue, cancelling the waiting backorders when ticked."""
    try:
        product = product_by_sku(sku)
    except DomainError as error:
        return _not_found(request, error)
    if request.method != "POST":
        waiting = waiting_for_product(product.id)
        return render(request, "web/masterdata/discontinue.html", {
            "product": product, "waiting_count": len({x.backorder_id for x in waiting}),
        })
    cancel = request.POST.get("cancel_backorders") == "on"
    try:
        done = discontinue_product(sku=product.sku, cancel_backorders=cancel,
                                   actor_id=request.user.id)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        text = f"{product.sku} is discontinued."
        if done.cancelled_backorders:
            n = len(done.cancelled_backorders)
            text += (f" {n} backorder{'s' if n != 1 else ''} cancelled (product "
                     f"discontinued): {', '.join(done.cancelled_backorders)}.")
        messages.success(request, text)
    return redirect("web:product", sku=product.sku)


# --- customers -----------------------------------------------------------------

def _customer_fields(customer, data=None) -> list[Field]:
    def value(name, current):
        return data.get(name, "") if data is not None else current

    reps = [("", "None")] + [(r.code, f"{r.name} ({r.code})") for r in sales_reps()]
    return [
        Field("name", "Name", value("name", customer.name), max_length=200),
        Field("email", "Email", value("email", customer.email), "email", max_length=254),
        Field("phone", "Phone", value("phone", customer.phone), max_length=40),
        Field("vip", "VIP (served first when stock is scarce, under the priority policy)",
              (data.get("vip") == "on") if data is not None else customer.vip, "checkbox"),
        Field("sales_rep", "Sales rep", value(
            "sales_rep", customer.sales_rep.code if customer.sales_rep else ""), "select",
            choices=reps),
        Field("delivery_address", "Delivery address",
              value("delivery_address", customer.delivery_address), "textarea"),
        Field("payment_terms", "Payment terms", value("payment_terms", customer.payment_terms),
              max_length=40, help="e.g. net 30"),
    ]


@requires("customers.manage")
def customer_edit(request, code: str):
    try:
        customer = customer_by_code(code)
    except DomainError as error:
        return _not_found(request, error)
    back = reverse("web:customer", kwargs={"code": customer.code})
    if request.method != "POST":
        return _edit_page(request, title=f"Edit {customer.code}", subject=customer.name,
                          fields=_customer_fields(customer), back=back)
    fields = _customer_fields(customer, request.POST)
    changes = {f.name: f.value.strip() if isinstance(f.value, str) else f.value
               for f in fields}
    changes["sales_rep"] = changes["sales_rep"] or None
    error = _save(fields, changes, lambda c: update_customer(
        code=customer.code, changes=c, actor_id=request.user.id))
    if error is None:
        messages.success(request, f"{customer.code} saved.")
        return redirect("web:customer", code=customer.code)
    return _edit_page(request, title=f"Edit {customer.code}", subject=customer.name,
                      fields=fields, back=back, form_error=error, status=422)


# --- suppliers -----------------------------------------------------------------

def _supplier_fields(supplier, data=None) -> list[Field]:
    def value(name, current):
        return data.get(name, "") if data is not None else current

    return [
        Field("name", "Name", value("name", supplier.name), max_length=200),
        Field("email", "Email", value("email", supplier.email), "email", max_length=254,
              help="where purchase orders go"),
        Field("lead_time_days", "Lead time (days)",
              value("lead_time_days", supplier.lead_time_days), "number",
              help=f"0 to {MAX_LEAD_TIME_DAYS}; dates new purchase orders without a date"),
    ]


@requires("purchasing.manage")
def supplier_edit(request, code: str):
    try:
        supplier = supplier_by_code(code)
    except DomainError as error:
        return _not_found(request, error)
    back = "/suppliers/"
    if request.method != "POST":
        return _edit_page(request, title=f"Edit supplier {supplier.code}",
                          subject=supplier.name, fields=_supplier_fields(supplier), back=back)
    fields = _supplier_fields(supplier, request.POST)
    changes = {f.name: f.value.strip() for f in fields}
    try:
        changes["lead_time_days"] = int(changes["lead_time_days"])
    except ValueError:
        _named(fields, "lead_time_days").error = "Enter a whole number of days."
    error = _save(fields, changes, lambda c: update_supplier(
        code=supplier.code, changes=c, actor_id=request.user.id))
    if error is None:
        messages.success(request, f"Supplier {supplier.code} saved.")
        return redirect("web:suppliers")
    return _edit_page(request, title=f"Edit supplier {supplier.code}", subject=supplier.name,
                      fields=fields, back=back, form_error=error, status=422)


# --- suggestions as you type ---------------------------------------------------

def _typed(request) -> str:
    """What was typed: `q`, or the value of the field the request came from
    (htmx sends the input's own name)."""
    for name in ("q", "customer", "sku"):
        if request.GET.get(name, "").strip():
            return request.GET[name].strip()[:100]
    return ""


@requires("customers.view")
def customer_suggest(request):
    """A `<datalist>` of customers whose code or name contains what was typed."""
    return render(request, "web/masterdata/suggestions.html", {
        "list_id": request.GET.get("list", "customer-options"),
        "options": [(c.code, f"{c.name}{' (VIP)' if c.vip else ''}")
                    for c in customer_suggestions(_typed(request))],
    })


@requires("catalog.view")
def product_suggest(request):
    """A `<datalist>` of products whose SKU or name contains what was typed."""
    return render(request, "web/masterdata/suggestions.html", {
        "list_id": request.GET.get("list", "sku-options"),
        "options": [(p.sku, f"{p.name}{' · ' + p.variant if p.variant else ''}")
                    for p in product_suggestions(_typed(request))],
    })

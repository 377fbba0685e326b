"""Staff pages for orders: entry (with a live shortfall warning), the list,
the detail with its actions, and the oversold list. Each view parses input,
calls one workflow or selector and renders; domain errors are shown inline."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models.functions import Upper
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from fillrate.backorders.selectors import (
    applied_substitutions,
    order_view,
    products_with_figures,
)
from fillrate.catalog.keys import sku_key
from fillrate.core.business import business_settings
from fillrate.core.errors import DomainError
from fillrate.core.selectors import events_for
from fillrate.customers.selectors import customers
from fillrate.fulfilment.selectors import fulfillments, invoices, units_to_ship
from fillrate.orders.models import OrderStatus, RefundMethod
from fillrate.orders.selectors import order_totals, orders, oversold_orders, ready_to_ship
from fillrate.orders.services import LineInput
from fillrate.orders.usual import LOOKBACK_DAYS, unusual_quantities
from fillrate.web.form_keys import form_key_exempt
from fillrate.web.forms import parse_date
from fillrate.web.line_entry import (
    EntryLine,
    blank_rows,
    drop_unknown_skus,
    entry_lines,
    new_key,
    parse_rows,
)
from fillrate.web.permissions import requires
from fillrate.workflows.cancel_order import cancel_order
from fillrate.workflows.oversold import hold_order, release_order, resolve_oversold
from fillrate.workflows.payments import refund_order
from fillrate.workflows.place_order_any_case import place_order_any_case
from fillrate.workflows.split_order import SplitLine, backorder_order_lines

PAGE_SIZE = 50
MAX_CUSTOMER_CHOICES = 1000
LINE_FIELD = re.compile(r"^lines\[(\d+)\]\.(\w+)$")
OVERSOLD_ACTIONS = {
    "backorder": "Backorder the shortfall",
    "cancel": "Cancel the shortfall",
    "wait": "Release to wait",
}


def not_found_page(request, error: DomainError):
    return render(request, "web/not_found.html", {"message": error.message}, status=404)


def query_string(params: dict, **changes) -> str:
    """`params` with `changes` applied, empty values dropped, as a query string."""
    merged = {**params, **changes}
    return urlencode({k: v for k, v in merged.items() if v not in (None, "")})


# --- order entry -----------------------------------------------------------

def _parse_lines(rows: list[EntryLine]) -> tuple[list[LineInput], list[EntryLine]]:
    return parse_rows(rows, amount_field="unit_price", make=LineInput,
                      amount_hint="Enter a price like 12.50, or leave it empty.")


def _entry_context(rows: list[EntryLine], **extra) -> dict:
    while len(rows) < 1:
        rows.append(EntryLine(key=new_key()))
    return {
        "rows": rows,
        "customers": customers()[:MAX_CUSTOMER_CHOICES],
        "settings": business_settings(),
        "lookback_days": LOOKBACK_DAYS,
        **extra,
    }


@requires("orders.place")
def order_entry(request):
    if request.method != "POST":
        rows = blank_rows(3)
        return render(request, "web/orders/entry.html", _entry_context(
            rows, customer=request.GET.get("customer", ""), reference="", hold=False))
    customer = request.POST.get("customer", "").strip()
    reference = request.POST.get("reference", "").strip()
    hold = request.POST.get("hold") == "on"
    rows = entry_lines(request.POST, amount_field="unit_price")
    errors: dict[str, str] = {}
    if not customer:
        errors["customer"] = "Choose a customer."
    if len(reference) > 100:
        errors["reference"] = "At most 100 characters."
    inputs, used = drop_unknown_skus(*_parse_lines(rows))
    bad_rows = any(r.errors for r in rows)
    if not inputs and not bad_rows:
        errors["lines"] = "Add at least one line with a SKU and a quantity."
    unusual, confirm = [], ""
    if not errors and not bad_rows:
        # far beyond what the product usually sells: placed only once confirmed
        unusual = unusual_quantities([(x.sku, x.quantity) for x in inputs])
        confirm = ",".join(f"{u.sku}:{u.quantity}" for u in unusual)
    unconfirmed = bool(unusual) and request.POST.get("confirm_quantities") != confirm
    if not errors and not bad_rows and not unconfirmed:
        try:
            placed = place_order_any_case(customer=customer, lines=inputs,
                                          reference=reference, hold=hold,
                                          actor_id=request.user.id)
        except DomainError as error:
            match = LINE_FIELD.match(error.field or "")
            if match and int(match[1]) < len(used):
                used[int(match[1])].errors[match[2] if match[2] != "line" else "sku"] = \
                    error.message
            elif error.field in ("customer", "reference"):
                errors[error.field] = error.message
            else:
                errors["form"] = error.message
        else:
            order = placed.order
            text = f"Order {order.number} placed for {customer}."
            if placed.backorders:
                units = sum(x.backordered for x in placed.lines)
                text += (f" {units} unit{'s' if units != 1 else ''} backordered on "
                         f"{', '.join(b.number for b in placed.backorders)}.")
            elif order.status == OrderStatus.ON_HOLD:
                text += " It is on hold."
            messages.success(request, text)
            return redirect("web:order", number=order.number)
    return render(request, "web/orders/entry.html", _entry_context(
        rows, customer=customer, reference=reference, hold=hold, errors=errors,
        unusual=unusual if unconfirmed else [], confirm=confirm,
        confirm_missed=unconfirmed and "confirm_asked" in request.POST))


@requires("orders.place")
def order_entry_line(request):
    """A blank line for the entry form (htmx)."""
    return render(request, "web/orders/entry.html#line", {"row": EntryLine(key=new_key())})


@requires("orders.place")
def order_sku_search(request):
    """Products matching what was typed in one line's SKU box, each with its
    available stock, and the exact match's figures (htmx)."""
    key = request.GET.get("key", "")
    rows = entry_lines(request.GET, amount_field="unit_price")
    typed = rows[0].sku if rows else ""
    matches = list(products_with_figures(search=typed)[:12]) if typed else []
    exact = next((p for p in matches if p.sku.lower() == typed.lower()), None)
    return render(request, "web/orders/entry.html#stock", {
        "row": EntryLine(key=key, sku=typed), "matches": matches, "product": exact,
        "typed": typed,
    })


@dataclass(frozen=True)
class Shortfall:
    sku: str
    name: str
    ordered: int
    available: int

    @property
    def short(self) -> int:
        return max(self.ordered - self.available, 0)


@form_key_exempt
@requires("orders.place")
def order_shortfall(request):
    """What placing the form as it stands would leave short, from available
    stock now (htmx)."""
    data = request.POST if request.method == "POST" else request.GET
    inputs, _ = _parse_lines(entry_lines(data, amount_field="unit_price"))
    wanted: dict[str, int] = {}
    for line in inputs:
        wanted[line.sku] = wanted.get(line.sku, 0) + line.quantity
    # SKUs in any case (unique in any case).
    products = {p.key: p for p in products_with_figures().annotate(key=Upper("sku")).filter(
        key__in=[sku_key(sku) for sku in wanted])}
    short, unknown, discontinued = [], [], []
    for sku, quantity in wanted.items():
        product = products.get(sku_key(sku))
        if product is None:
            unknown.append(sku)
        elif product.discontinued:
            discontinued.append(product.sku)
        elif quantity > product.available:
            short.append(Shortfall(product.sku, product.name, quantity, max(product.available, 0)))
    return render(request, "web/orders/entry.html#shortfall", {
        "short": short, "unknown": unknown, "discontinued": discontinued,
        "checked": bool(wanted), "settings": business_settings(),
    })


# --- list and detail ---------------------------------------------------------

@requires("orders.view")
def order_list(request):
    params = {"status": request.GET.get("status", "").strip(),
              "customer": request.GET.get("customer", "").strip()}
    error = None
    if params["status"] and params["status"] not in OrderStatus.values:
        error = f"Unknown status “{params['status']}”."
        qs = orders().none()
    else:
        qs = orders(status=params["status"] or None, customer=params["customer"] or None)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page, "params": params, "error": error, "statuses": OrderStatus.choices,
        "customers": customers()[:MAX_CUSTOMER_CHOICES], "query": query_string(params),
        "can_place": request.user.can("orders.place"),
    }
    if request.htmx and request.htmx.target == "order-rows":
        return render(request, "web/orders/list.html#rows", context)
    return render(request, "web/orders/list.html", context)


class _Line:
    """An order line for the page, with the substitution it is (`substitute_for`)
    or the substitutions that replaced its backordered units (`substitutes`)."""

    def __init__(self, line, substitute_for, substitutes):
        self._line = line
        self.substitute_for = substitute_for
        self.substitutes = substitutes

    def __getattr__(self, name):
        return getattr(self._line, name)


def _detail_context(request, number: str, **extra) -> dict:
    view = order_view(number)
    order, lines = view.order, view.lines
    settings = business_settings()
    credits, refunds = list(order.credits.all()), list(order.refunds.all())
    credited = sum((c.amount for c in credits), Decimal("0"))
    refunded = sum((r.amount for r in refunds), Decimal("0"))
    totals = order_totals(lines=lines, amount_paid=order.amount_paid,
                          charge_backorders_on_shipment=settings.charge_backorders_on_shipment,
                          credited=credited)
    substitutions = applied_substitutions(order.id)
    replaced = {s.order_line_id: s for s in substitutions}
    replacing: dict[int, list] = {}
    for s in substitutions:
        replacing.setdefault(s.backorder_line.order_line_id, []).append(s)
    closed = order.status in (OrderStatus.CANCELLED, OrderStatus.FULFILLED)
    manage = request.user.can("orders.manage")
    oversold = order.status == OrderStatus.ON_HOLD and any(x.unallocated for x in lines)
    ready = ready_to_ship(order, lines, view.backorder_held)
    return {
        "order": order, "backorders": view.backorders, "totals": totals,
        "lines": [_Line(x, replaced.get(x.id), replacing.get(x.id, [])) for x in lines],
        "credits": credits, "refunds": refunds, "credited": credited, "refunded": refunded,
        "owed_back": max(credited - refunded, Decimal("0")),
        "refund_methods": RefundMethod.choices,
        "can_refund": manage and credited > refunded,
        "ready": ready, "oversold": oversold,
        "can_cancel": manage and not closed,
        "can_hold": manage and not closed and order.status != OrderStatus.ON_HOLD,
        "can_release": manage and order.status == OrderStatus.ON_HOLD,
        "can_split": manage and not closed and order.picking_started_at is None,
        "can_ship": (request.user.can("orders.fulfil") and ready
                     and units_to_ship(order_id=order.id, ship_complete=order.ship_complete) > 0),
        "actions": OVERSOLD_ACTIONS,
        "events": events_for(subject_type="order", subject=order.number).reverse()[:30],
        "fulfillments": [(f, sum(x.quantity for x in f.lines.all()))
                         for f in fulfillments(order=order.number).order_by("id")],
        "invoices": list(invoices(order=order.number).order_by("id")),
        "split": {"values": {}, "errors": {}, "expected_date": "", "reason": "", "notes": ""},
        **extra,
    }


@requires("orders.view")
def order_detail(request, number: str):
    try:
        context = _detail_context(request, number)
    except DomainError as error:
        return not_found_page(request, error)
    return render(request, "web/orders/detail.html", context)


def flash_outcome(request, action, *, done: str, back: str, number: str,
                  page_error=lambda error: error.status == 404):
    """Run one workflow for a button on a detail page: its refusal, or
    `done`, is flashed on the page (`back`, by `number`); an error about the
    page's subject itself (`page_error`) is the not-found page."""
    try:
        action()
    except DomainError as error:
        if page_error(error):
            return not_found_page(request, error)
        messages.error(request, error.message)
    else:
        messages.success(request, done)
    return redirect(back, number=number)


def _order_action(request, number: str, action, done: str):
    return flash_outcome(request, action, done=done, back="web:order", number=number)


@requires("orders.manage")
@require_POST
def order_cancel(request, number: str):
    notes = request.POST.get("notes", "").strip()
    return _order_action(
        request, number,
        lambda: cancel_order(number=number, notes=notes, actor_id=request.user.id),
        f"{number} cancelled; its stock is free again and its open backorders are cancelled.")


@requires("orders.manage")
@require_POST
def order_refund(request, number: str):
    """Record money paid back against the order's credits."""
    text = request.POST.get("amount", "").strip()
    method = request.POST.get("method", "").strip()
    reference = request.POST.get("reference", "").strip()[:100]
    try:
        amount = Decimal(text)
        if not amount.is_finite() or amount.as_tuple().exponent < -2:
            raise InvalidOperation
    except InvalidOperation:
        messages.error(request, "Enter the amount paid back, such as 12.50.")
        return redirect("web:order", number=number)
    return _order_action(
        request, number,
        lambda: refund_order(number=number, amount=amount, method=method,
                             reference=reference, actor_id=request.user.id),
        f"Refund of {amount} recorded on {number}.")


@requires("orders.manage")
@require_POST
def order_hold(request, number: str):
    return _order_action(request, number,
                         lambda: hold_order(number=number, actor_id=request.user.id),
                         f"{number} is on hold.")


@requires("orders.manage")
@require_POST
def order_release(request, number: str):
    return _order_action(request, number,
                         lambda: release_order(number=number, actor_id=request.user.id),
                         f"{number} released.")


@requires("orders.manage")
@require_POST
def order_split(request, number: str):
    """Manual backorder: some units of some lines go onto a new backorder."""
    try:
        context = _detail_context(request, number)
    except DomainError as error:
        return not_found_page(request, error)
    values = {x.id: request.POST.get(f"qty-{x.id}", "").strip() for x in context["lines"]}
    split = {"values": values, "errors": {}, "expected_date": request.POST.get(
        "expected_date", "").strip(), "reason": request.POST.get("reason", "").strip(),
        "notes": request.POST.get("notes", "").strip(), "open": True}
    wanted: list[SplitLine] = []
    for line_id, text in values.items():
        if not text:
            continue
        try:
            quantity = int(text)
            if quantity <= 0:
                raise ValueError
        except ValueError:
            split["errors"][line_id] = "Enter a whole number of units, at least 1."
            continue
        wanted.append(SplitLine(line_id, quantity))
    try:
        expected = parse_date(split["expected_date"])
    except ValueError:
        split["errors"]["expected_date"] = "Enter a date as YYYY-MM-DD."
        expected = None
    if len(split["reason"]) > 200:
        split["errors"]["reason"] = "At most 200 characters."
    if not wanted and not split["errors"]:
        split["errors"]["form"] = "Enter the units to backorder on at least one line."
    if not split["errors"]:
        try:
            backorder = backorder_order_lines(
                number=number, lines=wanted, expected_date=expected, reason=split["reason"],
                notes=split["notes"], actor_id=request.user.id)
        except DomainError as error:
            match = LINE_FIELD.match(error.field or "")
            if match and int(match[1]) < len(wanted):
                split["errors"][wanted[int(match[1])].line] = error.message
            else:
                split["errors"]["form"] = error.message
        else:
            messages.success(request, f"Backorder {backorder.number} created from {number}.")
            return redirect("web:order", number=number)
    context["split"] = split
    return render(request, "web/orders/detail.html", context)


# --- oversold ----------------------------------------------------------------

@requires("orders.view")
def oversold_list(request):
    page = Paginator(oversold_orders(), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "web/orders/oversold.html", {
        "page": page, "actions": OVERSOLD_ACTIONS, "query": "",
        "can_manage": request.user.can("orders.manage"),
        "settings": business_settings(),
    })


@requires("orders.manage")
@require_POST
def oversold_resolve(request, number: str):
    action = request.POST.get("action", "")
    try:
        order = resolve_oversold(number=number, action=action, actor_id=request.user.id)
    except DomainError as error:
        messages.error(request, f"{number}: {error.message}")
    else:
        label = OVERSOLD_ACTIONS.get(action, action).lower()
        messages.success(request, f"{order.number}: {label} done; it is {order.status} now.")
    if request.POST.get("next") == "order":
        return redirect("web:order", number=number)
    return redirect("web:oversold")

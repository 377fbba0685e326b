"""Staff pages for purchasing: suppliers, purchase orders (list, new, detail
with its actions) and receiving. Each view parses input, calls one service,
workflow or selector and renders; domain errors are shown inline, next to
the field they name, and a refused change changes nothing."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from fillrate.backorders.selectors import BackorderFilters, backorders, promised_against
from fillrate.backorders.services import backorder_id
from fillrate.core.errors import DomainError
from fillrate.core.selectors import events_for
from fillrate.inventory.selectors import locations, receiving_location
from fillrate.purchasing import lifecycle
from fillrate.purchasing.models import PurchaseOrderStatus
from fillrate.purchasing.selectors import purchase_order_detail, purchase_orders, suppliers
from fillrate.purchasing.services import MAX_LEAD_TIME_DAYS, PurchaseLineInput, create_supplier
from fillrate.web.forms import parse_date
from fillrate.web.line_entry import (
    EntryLine,
    blank_rows,
    drop_unknown_skus,
    entry_lines,
    new_key,
    parse_rows,
)
from fillrate.web.orders_views import flash_outcome, not_found_page, query_string
from fillrate.web.permissions import requires
from fillrate.workflows.purchase_orders import (
    cancel_purchase_order,
    create_purchase_order,
    order_purchase_order,
    update_purchase_order,
)
from fillrate.workflows.receive import ReceiptLineInput, receive_purchase_order

PAGE_SIZE = 50
MAX_SUPPLIER_CHOICES = 1000
# A receipt can feed tens of thousands of backorder lines: the result page
# names the first ones and counts the rest.
SHOWN_ALLOCATIONS = 200
# Receipt results kept in the session for the result page (newest win).
KEPT_RESULTS = 5
LINE_FIELD = re.compile(r"^lines\[(\d+)\]\.(\w+)$")
STATUS_LABELS = {
    lifecycle.DRAFT: "Draft", lifecycle.ORDERED: "Ordered",
    lifecycle.PARTIAL: "Partially received", lifecycle.RECEIVED: "Received",
    lifecycle.CANCELLED: "Cancelled",
}
SUPPLIER_FIELDS = ("code", "name", "email", "lead_time_days")


def _page_error(error: DomainError) -> bool:
    """The error is about the page's subject (no such purchase order), not
    about one input (an unknown SKU on a line is 404 too, naming the line)."""
    return error.status == 404 and error.code == "purchasing.not_found"


# --- suppliers -----------------------------------------------------------------

def _suppliers_page(request, *, values: dict | None = None, errors: dict | None = None):
    page = Paginator(suppliers(), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "web/purchasing/suppliers.html", {
        "page": page, "query": "", "values": values or {}, "errors": errors or {},
        "can_manage": request.user.can("purchasing.manage"),
        "max_lead_time": MAX_LEAD_TIME_DAYS,
    })


@requires("purchasing.view")
def supplier_list(request):
    return _suppliers_page(request)


@requires("purchasing.manage")
@require_POST
def supplier_new(request):
    values = {k: request.POST.get(k, "").strip() for k in SUPPLIER_FIELDS}
    errors: dict[str, str] = {}
    if not values["code"]:
        errors["code"] = "Enter a code."
    if not values["name"]:
        errors["name"] = "Enter a name."
    lead_time = 0
    if values["lead_time_days"]:
        try:
            lead_time = int(values["lead_time_days"])
        except ValueError:
            errors["lead_time_days"] = "Enter a whole number of days."
    if not errors:
        try:
            supplier = create_supplier(code=values["code"], name=values["name"],
                                       email=values["email"], lead_time_days=lead_time,
                                       actor_id=request.user.id)
        except DomainError as error:
            errors[error.field if error.field in SUPPLIER_FIELDS else "form"] = error.message
        else:
            messages.success(request, f"Supplier {supplier.code} added.")
            return redirect("web:suppliers")
    return _suppliers_page(request, values=values, errors=errors)


# --- purchase-order list -------------------------------------------------------

@requires("purchasing.view")
def purchase_order_list(request):
    params = {k: request.GET.get(k, "").strip() for k in ("status", "supplier", "sku")}
    error = None
    if params["status"] and params["status"] not in PurchaseOrderStatus.values:
        error = f"Unknown status “{params['status']}”."
        qs = purchase_orders().none()
    else:
        qs = purchase_orders(status=params["status"] or None,
                             supplier=params["supplier"] or None, sku=params["sku"] or None)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = []
    for po in page.object_list:
        lines = list(po.lines.all())
        rows.append({"po": po, "ordered": sum(x.quantity for x in lines),
                     "received": sum(x.received for x in lines),
                     "outstanding": sum(x.outstanding for x in lines)})
    context = {
        "page": page, "rows": rows, "params": params, "error": error,
        "statuses": list(STATUS_LABELS.items()),
        "suppliers": suppliers()[:MAX_SUPPLIER_CHOICES], "query": query_string(params),
        "can_manage": request.user.can("purchasing.manage"),
    }
    if request.htmx and request.htmx.target == "po-rows":
        return render(request, "web/purchasing/list.html#rows", context)
    return render(request, "web/purchasing/list.html", context)


# --- new purchase order --------------------------------------------------------

def _parse_lines(rows: list[EntryLine]) -> tuple[list[PurchaseLineInput], list[EntryLine]]:
    return parse_rows(rows, amount_field="unit_cost", make=PurchaseLineInput,
                      amount_hint="Enter a cost like 12.50, or leave it empty.")


def _new_context(rows: list[EntryLine], **extra) -> dict:
    if not rows:
        rows.append(EntryLine(key=new_key()))
    return {"rows": rows, "suppliers": suppliers()[:MAX_SUPPLIER_CHOICES], "errors": {},
            "values": {}, **extra}


@requires("purchasing.manage")
def purchase_order_new(request):
    if request.method != "POST":
        rows = blank_rows(3)
        return render(request, "web/purchasing/new.html", _new_context(
            rows, values={"supplier": request.GET.get("supplier", "")}))
    values = {k: request.POST.get(k, "").strip() for k in ("supplier", "expected_date",
                                                           "notes", "status")}
    rows = entry_lines(request.POST, amount_field="unit_cost")
    errors: dict[str, str] = {}
    if not values["supplier"]:
        errors["supplier"] = "Choose a supplier."
    expected = None
    try:
        expected = parse_date(values["expected_date"])
    except ValueError:
        errors["expected_date"] = "Enter a date as YYYY-MM-DD, or leave it empty."
    status = values["status"] or lifecycle.ORDERED
    inputs, used = drop_unknown_skus(*_parse_lines(rows))
    bad_rows = any(r.errors for r in rows)
    if not inputs and not bad_rows:
        errors["lines"] = "Add at least one line with a SKU and a quantity."
    if not errors and not bad_rows:
        try:
            po = create_purchase_order(supplier=values["supplier"], lines=inputs,
                                       expected_date=expected, status=status,
                                       notes=values["notes"], actor_id=request.user.id)
        except DomainError as error:
            match = LINE_FIELD.match(error.field or "")
            if match and int(match[1]) < len(used):
                used[int(match[1])].errors[match[2]] = error.message
            elif error.field in ("supplier", "expected_date", "lines"):
                errors[error.field] = error.message
            else:
                errors["form"] = error.message
        else:
            state = "saved as a draft" if po.status == lifecycle.DRAFT else "ordered"
            messages.success(request, f"{po.number} {state}; expected "
                                      f"{po.expected_date:%Y-%m-%d}.")
            _warn_if_past(request, po.number, po.expected_date)
            return redirect("web:purchase_order", number=po.number)
    return render(request, "web/purchasing/new.html", _new_context(
        rows, values=values, errors=errors))


@requires("purchasing.manage")
def purchase_order_new_line(request):
    """A blank line for the new purchase order form (htmx)."""
    return render(request, "web/purchasing/new.html#line", {"row": EntryLine(key=new_key())})


# --- detail and its actions ----------------------------------------------------

def _detail_context(request, number: str, **extra) -> dict:
    po = purchase_order_detail(number)
    manage = request.user.can("purchasing.manage")
    lines = list(po.lines.all())
    return {
        "po": po, "lines": lines, "receipts": list(po.receipts.all()),
        "totals": {"ordered": sum(x.quantity for x in lines),
                   "received": sum(x.received for x in lines),
                   "cancelled": sum(x.cancelled for x in lines),
                   "outstanding": sum(x.outstanding for x in lines)},
        "can_order": manage and lifecycle.ORDERED in lifecycle.TRANSITIONS[po.status],
        "can_cancel": manage and lifecycle.CANCELLED in lifecycle.TRANSITIONS[po.status],
        "can_redate": manage and po.status not in lifecycle.TERMINAL,
        "can_receive": (request.user.can("purchasing.receive")
                        and po.status in lifecycle.OPEN),
        "events": events_for(subject_type="purchase_order", subject=po.number).reverse()[:30],
        "promised": promised_against(po.id),
        "redate": {"value": "", "error": None},
        **extra,
    }


@requires("purchasing.view")
def purchase_order_page(request, number: str):
    try:
        context = _detail_context(request, number)
    except DomainError as error:
        return not_found_page(request, error)
    return render(request, "web/purchasing/detail.html", context)


@requires("purchasing.manage")
@require_POST
def purchase_order_redate(request, number: str):
    typed = request.POST.get("expected_date", "").strip()
    error = None
    try:
        expected = parse_date(typed)
        if expected is None:
            error = "Enter the new expected date."
    except ValueError:
        error = "Enter a date as YYYY-MM-DD."
    if error is None:
        try:
            update_purchase_order(number=number, expected_date=expected,
                                  actor_id=request.user.id)
        except DomainError as failure:
            if _page_error(failure):
                return not_found_page(request, failure)
            error = failure.message
        else:
            messages.success(request, f"{number} is now expected {expected:%Y-%m-%d}.")
            _warn_if_past(request, number, expected)
            return redirect("web:purchase_order", number=number)
    try:
        context = _detail_context(request, number, redate={"value": typed, "error": error})
    except DomainError as failure:
        return not_found_page(request, failure)
    return render(request, "web/purchasing/detail.html", context)


def _warn_if_past(request, number: str, expected: dt.date) -> None:
    """A date in the past is allowed (a supplier already late), but said."""
    if expected < timezone.localdate():
        messages.warning(request, f"{expected:%Y-%m-%d} is in the past: {number} is overdue "
                                  "from now on, and so are the backorders promised on it.")


def _action(request, number: str, action, done: str):
    return flash_outcome(request, action, done=done, back="web:purchase_order", number=number,
                         page_error=_page_error)


@requires("purchasing.manage")
@require_POST
def purchase_order_order(request, number: str):
    return _action(request, number,
                   lambda: order_purchase_order(number=number, actor_id=request.user.id),
                   f"{number} ordered: its quantities are incoming now.")


@requires("purchasing.manage")
@require_POST
def purchase_order_cancel(request, number: str):
    reason = request.POST.get("reason", "").strip()[:500]
    return _action(request, number,
                   lambda: cancel_purchase_order(number=number, reason=reason,
                                                 actor_id=request.user.id),
                   f"{number} cancelled; what was still outstanding is no longer incoming.")


# --- receiving -----------------------------------------------------------------

def _location_choices() -> list:
    """Where received stock may go: sellable locations, receiving ones first."""
    sellable = [loc for loc in locations(active=True) if loc.sellable]
    return sorted(sellable, key=lambda loc: loc.kind != "receiving")


def _receive_context(request, number: str, **extra) -> dict:
    po = purchase_order_detail(number)
    return {
        "po": po, "lines": [x for x in po.lines.all() if x.outstanding],
        "receivable": po.status in lifecycle.OPEN,
        "locations": _location_choices(), "default_location": receiving_location(),
        "values": {}, "errors": {}, "line_errors": {}, "quantities": {},
        **extra,
    }


@requires("purchasing.receive")
def purchase_order_receive(request, number: str):
    try:
        context = _receive_context(request, number)
    except DomainError as error:
        return not_found_page(request, error)
    if request.method != "POST":
        return _receive_page(request, context)
    if not context["receivable"]:
        context["errors"]["form"] = f"{number} is {context['po'].status}: nothing to receive."
        return _receive_page(request, context)
    values = {"location": request.POST.get("location", "").strip(),
              "allow_over_receipt": request.POST.get("allow_over_receipt") == "on"}
    code = request.POST.get("scan", "").strip()
    if code:  # Enter in the scan box before (or without) receive.js: count it, save nothing
        quantities = {x.id: request.POST.get(f"qty-{x.id}", "").strip() for x in context["lines"]}
        context.update(values=values, quantities=quantities,
                       scan=_scan_one(context["lines"], quantities, code))
        return _receive_page(request, context)
    errors: dict[str, str] = {}
    line_errors: dict[int, str] = {}
    quantities: dict[int, str] = {}
    wanted, chosen = [], []
    for line in context["lines"]:
        text = request.POST.get(f"qty-{line.id}", "").strip()
        quantities[line.id] = text
        if not text:
            continue
        try:
            quantity = int(text)
            if quantity <= 0:
                raise ValueError
        except ValueError:
            line_errors[line.id] = "Enter a whole number of units, at least 1."
            continue
        wanted.append(ReceiptLineInput(line.product.sku, quantity))
        chosen.append(line)
    location = None
    if values["location"]:
        location = next((x for x in context["locations"] if x.code == values["location"]), None)
        if location is None:
            errors["location"] = "Choose one of the listed locations."
    if not wanted and not line_errors:
        errors["form"] = "Enter the quantity received on at least one line."
    if not errors and not line_errors:
        try:
            result = receive_purchase_order(
                number=number, lines=wanted, location_id=location.id if location else None,
                allow_over_receipt=values["allow_over_receipt"], actor_id=request.user.id)
        except DomainError as error:
            if _page_error(error):
                return not_found_page(request, error)
            match = LINE_FIELD.match(error.field or "")
            if match and int(match[1]) < len(chosen):
                line = chosen[int(match[1])]
                line_errors[line.id] = error.message
                if error.code == "purchasing.over_receipt":
                    line_errors[line.id] = (
                        f"{wanted[int(match[1])].quantity} is more than the "
                        f"{line.outstanding} outstanding: tick “Allow over-receipt” to take "
                        "more than was ordered.")
            elif error.field == "location":
                errors["location"] = error.message
            else:
                errors["form"] = error.message
        else:
            _keep_result(request, result)
            return redirect("web:purchase_order_receipt", number=number,
                            receipt=result.receipt.number)
    context.update(values=values, errors=errors, line_errors=line_errors,
                   quantities=quantities)
    return _receive_page(request, context)


def _scan_one(lines: list, quantities: dict[int, str], code: str) -> dict:
    """One scanned SKU or UPC adds a unit to its line, as receive.js does in
    the browser; the message is the one the script shows."""
    wanted = code.upper()
    line = (next((x for x in lines if x.product.sku.upper() == wanted), None)
            or next((x for x in lines if x.product.upc and x.product.upc.upper() == wanted), None))
    if line is None:
        return {"text": f"“{code}” is not an outstanding line of this purchase order.",
                "kind": "error"}
    typed = quantities.get(line.id, "")
    now = (int(typed) if typed.isdigit() else 0) + 1
    quantities[line.id] = str(now)
    sku = line.product.sku
    if now > line.outstanding:
        return {"text": f"+1 {sku}: {now} receiving now, {now - line.outstanding} more than the "
                        f"{line.outstanding} outstanding (tick “Allow over-receipt” to take them).",
                "kind": "warn"}
    return {"text": f"+1 {sku}: {now} receiving now.", "kind": "ok"}


def _receive_page(request, context: dict):
    context["rows"] = [(x, context["quantities"].get(x.id, ""), context["line_errors"].get(x.id))
                       for x in context["lines"]]
    return render(request, "web/purchasing/receive.html", context)


def _keep_result(request, result) -> None:
    """Which backorders got the stock is known only when receiving; the
    result page after the redirect reads it from the session."""
    kept = request.session.get("receipts", {})
    allocations = result.allocations
    kept[result.receipt.number] = {
        "count": len(allocations),
        "backorders": len({a.backorder for a in allocations}),
        "units": sum(a.quantity for a in allocations),
        "rows": [[a.backorder, a.sku, a.quantity] for a in allocations[:SHOWN_ALLOCATIONS]],
    }
    request.session["receipts"] = dict(list(kept.items())[-KEPT_RESULTS:])


@dataclass(frozen=True)
class FedRow:
    backorder: str
    sku: str
    quantity: int
    customer_code: str = ""
    customer_name: str = ""
    status: str = ""


def _fed_rows(rows: list[list]) -> list[FedRow]:
    """The stored allocation rows with each backorder's customer and status now."""
    ids = sorted({backorder_id(number) for number, _, _ in rows})
    found = {
        bid: (code, name, status)
        for bid, code, name, status in backorders(BackorderFilters()).filter(id__in=ids)
        .values_list("id", "customer__code", "customer__name", "status")
    }
    return [FedRow(number, sku, quantity, *found.get(backorder_id(number), ("", "", "")))
            for number, sku, quantity in rows]


@requires("purchasing.view")
def purchase_order_receipt(request, number: str, receipt: str):
    try:
        po = purchase_order_detail(number)
    except DomainError as error:
        return not_found_page(request, error)
    found = next((r for r in po.receipts.all() if r.number == receipt), None)
    if found is None:
        return render(request, "web/not_found.html",
                      {"message": f"no receipt {receipt!r} on {po.number}"}, status=404)
    kept = request.session.get("receipts", {}).get(receipt)
    return render(request, "web/purchasing/receipt.html", {
        "po": po, "receipt": found, "lines": list(found.lines.all()),
        "fed": _fed_rows(kept["rows"]) if kept else None, "summary": kept,
        "shown": SHOWN_ALLOCATIONS,
        "can_receive": (request.user.can("purchasing.receive")
                        and po.status in lifecycle.OPEN),
        "can_fulfil": request.user.can("backorders.fulfil"),
    })

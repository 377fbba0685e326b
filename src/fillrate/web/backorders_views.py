"""Staff pages for backorders: the list with every filter kept in the URL,
and the detail with inline edits, communications and the cancel dialog."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRedirect

from fillrate.backorders import lifecycle
from fillrate.backorders.aging import AGE_BUCKETS
from fillrate.backorders.models import CancelReason, CommunicationMethod, Preference, Priority
from fillrate.backorders.selectors import (
    EXPECTED_BUCKETS,
    ORDERINGS,
    BackorderFilters,
    backorder_detail,
    counted_statuses,
    follow_up_of,
    row_flags,
    stock_of_products,
    with_contacts,
)
from fillrate.backorders.services import (
    CancelLine,
    log_communication,
    update_backorder,
)
from fillrate.comms.links import choice_url
from fillrate.core.business import business_settings
from fillrate.core.counting import Counted
from fillrate.core.errors import DomainError
from fillrate.core.selectors import events_for
from fillrate.customers.selectors import customers, sales_reps
from fillrate.fulfilment.selectors import backorder_fulfilment, filtered_backorders
from fillrate.web.forms import parse_date
from fillrate.web.orders_views import MAX_CUSTOMER_CHOICES, not_found_page, query_string
from fillrate.web.paging import CountedPaginator
from fillrate.web.permissions import requires
from fillrate.workflows.cancel_backorder import cancel_backorder_and_feed
from fillrate.workflows.substitute import SubstituteLine, propose_substitutes, substitute

PAGE_SIZE = 50
FILTERS = ("status", "customer", "sku", "sales_rep", "priority", "expected", "fulfillable",
           "ordering", "age", "follow_up")
STATUS_TABS = [("", "All"), ("active", "Active"), (lifecycle.OPEN, "Open"),
               (lifecycle.READY, "Ready to fulfil"), (lifecycle.PARTIAL, "Partially fulfilled"),
               (lifecycle.COMPLETE, "Complete"), (lifecycle.CANCELLED, "Cancelled")]
EXPECTED_LABELS = {"overdue": "Overdue", "this_week": "This week", "next_week": "Next week",
                   "later": "Later", "none": "No date"}
ORDERING_LABELS = {"created": "Oldest first", "-created": "Newest first",
                   "expected_date": "Expected date, soonest", "-expected_date":
                   "Expected date, latest", "priority": "High priority first",
                   "-priority": "Normal priority first"}
EDITABLE = ("expected_date", "priority", "notes")


def _filters(params: dict) -> tuple[BackorderFilters | None, dict[str, str]]:
    errors = {}
    fulfillable = {"": None, "yes": True, "no": False}.get(params["fulfillable"], "bad")
    if fulfillable == "bad":
        errors["fulfillable"] = "Fulfillable is yes or no."
        return None, errors
    return BackorderFilters(
        status=params["status"] or None, customer=params["customer"] or None,
        sku=params["sku"] or None, sales_rep=params["sales_rep"] or None,
        priority=params["priority"] or None, expected=params["expected"] or None,
        fulfillable=fulfillable, ordering=params["ordering"] or "created",
        age=params["age"] or None, follow_up=params["follow_up"] or None), errors


def _total(counts) -> Counted:
    counts = list(counts)
    return Counted(sum(c.n for c in counts), exact=all(c.exact for c in counts))


@requires("backorders.view")
def backorder_list(request):
    params = {k: request.GET.get(k, "").strip() for k in FILTERS}
    settings = business_settings()
    filters, errors = _filters(params)
    rows, page = [], None
    if filters is not None:
        try:
            qs = with_contacts(filtered_backorders(filters,
                                                   partial_shipments=settings.partial_shipments))
            page = CountedPaginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
        except DomainError as error:
            errors[error.field or "form"] = error.message
    if page is not None:
        found = list(page.object_list)
        flags = row_flags(found, max_age_days=settings.max_backorder_age_days)
        rows = [(b, flags[b.id]) for b in found]
    counts: dict[str, Counted] = counted_statuses()
    counts["active"] = _total(counts[s] for s in lifecycle.ACTIVE)
    counts[""] = _total(counts[s] for s in lifecycle.TRANSITIONS)
    context = {
        "params": params, "errors": errors, "page": page, "rows": rows,
        "query": query_string(params),
        "tabs": [{"value": v, "label": label, "count": counts.get(v, Counted(0)),
                  "query": query_string(params, status=v), "current": params["status"] == v}
                 for v, label in STATUS_TABS],
        "customers": customers()[:MAX_CUSTOMER_CHOICES], "reps": sales_reps(),
        "expected": [(k, EXPECTED_LABELS[k]) for k in EXPECTED_BUCKETS],
        "orderings": [(k, ORDERING_LABELS.get(k, k)) for k in ORDERINGS],
        "ages": [(b.key, b.label) for b in AGE_BUCKETS],
        "max_age": settings.max_backorder_age_days, "today": timezone.localdate(),
        "filtered": any(params[k] for k in FILTERS if k not in ("status", "ordering")),
        "follow_ups": params["follow_up"] == "due",
        "can_fulfil": request.user.can("backorders.fulfil"),
    }
    if request.htmx and request.htmx.target == "backorder-results":
        return render(request, "web/backorders/list.html#results", context)
    return render(request, "web/backorders/list.html", context)


def _detail_context(request, number: str) -> dict:
    b = backorder_detail(number)
    lines = list(b.lines.all())
    stock = stock_of_products([x.product_id for x in lines], exclude_backorder=b.id)
    settings = business_settings()
    flags = row_flags([b], max_age_days=settings.max_backorder_age_days)[b.id]
    closed = b.status in lifecycle.TERMINAL
    manage = request.user.can("backorders.manage")
    communications = list(b.communications.select_related("created_by").order_by("-id"))
    return {
        "b": b, "flags": flags,
        "lines": [(x, stock.get(x.product_id, {}), x.open_quantity * x.unit_price)
                  for x in lines],
        "total_quantity": sum(x.quantity for x in lines),
        "open_quantity": sum(x.open_quantity for x in lines),
        "waiting": sum(x.waiting for x in lines if b.status not in lifecycle.TERMINAL),
        "value": sum((x.open_quantity * x.unit_price for x in lines), Decimal("0")),
        "communications": communications,
        "next_follow_up": follow_up_of(communications),
        "events": events_for(subject_type="backorder", subject=b.number).reverse(),
        "can_edit": manage and not closed, "can_cancel": manage and not closed,
        "can_log": manage, "closed": closed,
        "priorities": Priority.choices, "reasons": CancelReason.choices,
        "methods": [(v, label) for v, label in CommunicationMethod.choices
                    if v != CommunicationMethod.LINK],
        "preferences": Preference.choices,
        "cancel": {"errors": {}, "values": {}}, "comm": {"errors": {}, "values": {}},
        "notify_default": settings.notify_customers,
        "fulfilment": backorder_fulfilment(b.number,
                                           partial_shipments=settings.partial_shipments),
        "can_fulfil": request.user.can("backorders.fulfil"),
        "substitutions": list(b.substitutions.select_related(
            "backorder_line__product", "product", "order_line").order_by("id")),
        "can_substitute": manage and not closed,
        "choice_link": None if closed else choice_url(b),
        "sub": {"errors": {}, "values": {}},
    }


@requires("backorders.view")
def backorder_page(request, number: str):
    try:
        context = _detail_context(request, number)
    except DomainError as error:
        return not_found_page(request, error)
    return render(request, "web/backorders/detail.html", context)


def _field_context(request, number: str, name: str, **extra) -> dict:
    if name not in EDITABLE:
        raise Http404(name)
    b = backorder_detail(number)
    return {"b": b, "name": name, "priorities": Priority.choices,
            "can_edit": request.user.can("backorders.manage")
            and b.status not in lifecycle.TERMINAL, **extra}


@requires("backorders.manage")
def backorder_edit(request, number: str, name: str):
    """Inline edit of one field (htmx): GET the form or, with `?cancel`, the
    value again; POST saves through `update_backorder`."""
    try:
        if request.method != "POST":
            editing = "cancel" not in request.GET
            return render(request, "web/backorders/detail.html#field",
                          _field_context(request, number, name, editing=editing))
        raw = request.POST.get(name, "").strip()
        value: object = raw
        error = None
        if name == "expected_date":
            try:
                value = parse_date(raw)
            except ValueError:
                error = "Enter a date as YYYY-MM-DD, or leave it empty."
        if error is None:
            try:
                update_backorder(number=number, changes={name: value},
                                 actor_id=request.user.id)
            except DomainError as failure:
                if failure.status == 404:
                    raise
                error = failure.message
    except DomainError as failure:
        return not_found_page(request, failure)
    if error is not None:
        return render(request, "web/backorders/detail.html#field",
                      _field_context(request, number, name, editing=True, error=error,
                                     typed=raw))
    if not request.htmx:
        messages.success(request, f"{number} updated.")
        return redirect("web:backorder", number=number)
    context = _field_context(request, number, name, editing=False, saved=True)
    context["events"] = events_for(subject_type="backorder", subject=number).reverse()
    context["oob"] = True
    return render(request, "web/backorders/field_saved.html", context)


@requires("backorders.manage")
@require_POST
def backorder_communication(request, number: str):
    values = {k: request.POST.get(k, "").strip() for k in ("method", "summary", "preference",
                                                           "agreed", "next_follow_up")}
    errors: dict[str, str] = {}
    follow_up = None
    if not values["method"]:
        errors["method"] = "Choose how you were in touch."
    if not values["summary"]:
        errors["summary"] = "Say what was said or agreed."
    try:
        follow_up = parse_date(values["next_follow_up"])
    except ValueError:
        errors["next_follow_up"] = "Enter a date as YYYY-MM-DD."
    if not errors:
        try:
            log_communication(number=number, method=values["method"],
                              summary=values["summary"], preference=values["preference"],
                              agreed=values["agreed"], next_follow_up=follow_up,
                              actor_id=request.user.id)
        except DomainError as error:
            if error.status == 404:
                return not_found_page(request, error)
            errors[error.field if error.field in values else "form"] = error.message
        else:
            values = {}
            if not request.htmx:
                messages.success(request, "Communication recorded.")
                return redirect("web:backorder", number=number)
    try:
        context = _detail_context(request, number)
    except DomainError as error:
        return not_found_page(request, error)
    context["comm"] = {"errors": errors, "values": values}
    if request.htmx:
        context["oob"] = True
        return render(request, "web/backorders/comms_saved.html", context)
    return render(request, "web/backorders/detail.html", context)


@requires("backorders.manage")
@require_POST
def backorder_cancel(request, number: str):
    """The cancel dialog: a reason is required (notes too for “other”);
    quantities per line cancel only those units, none cancels it all."""
    try:
        context = _detail_context(request, number)
    except DomainError as error:
        return not_found_page(request, error)
    values = {k: request.POST.get(k, "").strip() for k in ("reason", "notes")}
    values["notify"] = request.POST.get("notify") == "on"
    errors: dict[str, str] = {}
    chosen: list[CancelLine] = []
    quantities = {}
    for line, _, _ in context["lines"]:
        text = request.POST.get(f"qty-{line.id}", "").strip()
        quantities[line.id] = text
        if not text:
            continue
        try:
            qty = int(text)
            if qty <= 0:
                raise ValueError
        except ValueError:
            errors[f"qty-{line.id}"] = "Enter a whole number of units, at least 1."
            continue
        chosen.append(CancelLine(line.product.sku, qty))
    values["quantities"] = quantities
    if not values["reason"]:
        errors["reason"] = "Choose a reason."
    elif values["reason"] == CancelReason.OTHER and not values["notes"]:
        errors["notes"] = "Explain the reason when it is “other”."
    if not errors:
        try:
            cancel_backorder_and_feed(number=number, reason=values["reason"], notes=values["notes"],
                             notify=values["notify"], lines=chosen or None,
                             actor_id=request.user.id)
        except DomainError as error:
            key = error.field if error.field in ("reason", "notes") else "form"
            if error.field and error.field.startswith("lines[") and chosen:
                index = int(error.field[6:error.field.index("]")])
                sku = chosen[index].sku if index < len(chosen) else None
                line = next((x for x, _, _ in context["lines"] if x.product.sku == sku), None)
                if line is not None:
                    key = f"qty-{line.id}"
            errors[key] = error.message
        else:
            if chosen:
                messages.success(request, f"{sum(c.quantity for c in chosen)} units of "
                                          f"{number} cancelled; their stock is free again.")
            else:
                messages.success(request, f"{number} cancelled; its allocated stock is free "
                                          "again.")
            if request.htmx:
                return HttpResponseClientRedirect(reverse("web:backorder", args=[number]))
            return redirect("web:backorder", number=number)
    line_errors = {int(k[4:]): v for k, v in errors.items() if k.startswith("qty-")}
    context["cancel"] = {"errors": errors, "values": values, "open": True,
                         "line_errors": line_errors, "some": any(quantities.values())}
    if request.htmx:
        return render(request, "web/backorders/detail.html#cancel_form", context)
    return render(request, "web/backorders/detail.html", context)


@requires("backorders.manage")
@require_POST
def backorder_substitute(request, number: str):
    """Substitute (or propose a substitute for) some units of one line: the
    customer keeps the original price unless another is typed."""
    try:
        context = _detail_context(request, number)
    except DomainError as error:
        return not_found_page(request, error)
    values = {k: request.POST.get(k, "").strip()
              for k in ("sku", "substitute_sku", "quantity", "unit_price", "action")}
    errors: dict[str, str] = {}
    quantity, price = None, None
    if not values["sku"]:
        errors["sku"] = "Choose the backordered product."
    if not values["substitute_sku"]:
        errors["substitute_sku"] = "Enter the SKU of the substitute."
    try:
        quantity = int(values["quantity"])
        if quantity <= 0:
            raise ValueError
    except ValueError:
        errors["quantity"] = "Enter a whole number of units, at least 1."
    if values["unit_price"]:
        try:
            price = Decimal(values["unit_price"])
            if not price.is_finite() or price < 0 or price.as_tuple().exponent < -2:
                raise InvalidOperation
        except InvalidOperation:
            errors["unit_price"] = "Enter a price such as 12.50, or leave it empty."
    if not errors:
        lines = [SubstituteLine(values["sku"], values["substitute_sku"], quantity, price)]
        propose = values["action"] == "propose"
        try:
            if propose:
                propose_substitutes(number=number, lines=lines, actor_id=request.user.id)
            else:
                substitute(number=number, lines=lines, actor_id=request.user.id)
        except DomainError as error:
            field = (error.field or "").split(".")[-1]
            errors[field if field in values else "form"] = error.message
        else:
            messages.success(request, (
                f"Substitute {values['substitute_sku']} proposed: the customer can accept it "
                "through the choice link.") if propose else (
                f"{quantity} {values['sku']} replaced by {values['substitute_sku']} on "
                f"{context['b'].order.number}."))
            return redirect("web:backorder", number=number)
    context["sub"] = {"errors": errors, "values": values, "open": True}
    return render(request, "web/backorders/detail.html", context)

"""Staff pages for fulfilment: the fulfillable backorders (fulfil all, some
units per line, or every backorder of one product), fulfillments with their
dispatch form, and invoices with the QuickBooks CSV. Each view parses input,
calls one workflow or selector and renders; domain errors are shown inline."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.views.decorators.http import require_POST

from fillrate.backorders.models import Backorder, BackorderLine
from fillrate.backorders.selectors import backorder_detail
from fillrate.core.business import business_settings
from fillrate.core.errors import DomainError
from fillrate.core.selectors import events_for
from fillrate.customers.selectors import customers
from fillrate.fulfilment import lifecycle
from fillrate.fulfilment.models import Fulfillment, FulfillmentStatus
from fillrate.fulfilment.selectors import (
    fulfillable_backorders,
    fulfillable_products,
    fulfillment_detail,
    fulfillments,
    invoice_detail,
    invoices,
    invoices_csv,
    lines_free_to_fulfil,
)
from fillrate.picking.models import ToteContent
from fillrate.web.orders_views import (
    MAX_CUSTOMER_CHOICES,
    flash_outcome,
    not_found_page,
    query_string,
)
from fillrate.web.permissions import requires
from fillrate.workflows.dispatch import (
    cancel_fulfillment,
    deliver_fulfillment,
    dispatch_fulfillment,
)
from fillrate.workflows.fulfil import (
    FulfilLine,
    fulfil_backorder,
    fulfil_backorders_by_product,
    fulfil_order,
)

PAGE_SIZE = 50
FULFIL_FILTERS = ("sku", "customer", "backorder")
LINE_QUANTITY = re.compile(r"^lines\[(\d+)\]\.")
MAX_TEXT = 100  # carrier and tracking number columns


def _made_message(request, made: list[Fulfillment], prefix: str) -> None:
    """A success message naming the fulfillments just queued, with links."""
    links = format_html_join(", ", '<a href="{}">{}</a>',
                             ((reverse("web:fulfillment", args=[f.number]), f.number)
                              for f in made))
    noun = "fulfillment" if len(made) == 1 else f"{len(made)} fulfillments"
    messages.success(request, format_html("{}: {} queued: {}.", prefix, noun, links))


# --- fulfillable backorders ----------------------------------------------------

@dataclass
class LineRow:
    """One backorder line on the fulfillable page, with what was typed for it."""

    line: BackorderLine
    typed: str = ""
    error: str = ""

    @property
    def free(self) -> int:
        return self.line.allocated - self.line.pending


@dataclass
class Card:
    backorder: Backorder
    lines: list[LineRow]
    error: str = ""

    @property
    def free(self) -> int:
        return sum(x.free for x in self.lines)


@dataclass
class Failure:
    """A fulfil request that was refused: which backorder or product, the
    message for the form or per line id, and the quantities as typed."""

    backorder: str = ""
    sku: str = ""
    form: str = ""
    lines: dict[int, str] = field(default_factory=dict)
    typed: dict[int, str] = field(default_factory=dict)


def _params(data: QueryDict) -> dict[str, str]:
    return {k: data.get(k, "").strip() for k in FULFIL_FILTERS}


def _fulfil_context(request, params: dict[str, str], page_number: str | None,
                    failure: Failure | None = None) -> dict:
    settings = business_settings()
    qs = fulfillable_backorders(partial_shipments=settings.partial_shipments,
                                sku=params["sku"] or None,
                                customer=params["customer"] or None,
                                backorder=params["backorder"] or None)
    page = Paginator(qs, PAGE_SIZE).get_page(page_number)
    rows = list(page.object_list)
    lines = lines_free_to_fulfil([b.id for b in rows])
    failure = failure or Failure()
    cards = []
    for b in rows:
        mine = failure.backorder == b.number
        cards.append(Card(b, [LineRow(x, failure.typed.get(x.id, "") if mine else "",
                                      failure.lines.get(x.id, "") if mine else "")
                              for x in lines.get(b.id, [])],
                          failure.form if mine else ""))
    # product-wide whatever the filters: it is what "fulfil all for this product" queues
    products = fulfillable_products(partial_shipments=settings.partial_shipments)
    card_shown = any(c.backorder.number == failure.backorder for c in cards)
    row_shown = any(p.sku == failure.sku for p in products)
    return {
        "params": params, "page": page, "cards": cards, "products": products,
        "query": query_string(params), "failure": failure,
        "here": query_string(params, page=page.number if page.number > 1 else ""),
        # A refusal is said at the top too (a backorder's card may be far down
        # the page, or not on it), linking to the card when it is there; the
        # product table is at the top already.
        "page_error": "" if row_shown else " ".join([failure.form,
                                                     *failure.lines.values()]).strip(),
        "page_error_about": failure.backorder or failure.sku,
        "page_error_anchor": f"ff-{failure.backorder}" if card_shown else "",
        "customers": customers()[:MAX_CUSTOMER_CHOICES],
        "partial_shipments": settings.partial_shipments,
    }


def _back_to_list(request):
    """The fulfillable page with the filters and page the form was posted from."""
    sent = QueryDict(request.POST.get("query", ""))
    params = _params(sent)
    page = sent.get("page", "")
    return params, page, query_string(params, page=page)


def _to_list(back: str):
    return redirect(f"{reverse('web:fulfil')}?{back}" if back else "web:fulfil")


@requires("backorders.fulfil")
def fulfil_page(request):
    params = _params(request.GET)
    return render(request, "web/fulfilment/fulfil.html",
                  _fulfil_context(request, params, request.GET.get("page")))


def _quantities(request, lines: list[BackorderLine],
                failure: Failure) -> list[tuple[BackorderLine, int]]:
    """The quantities typed per line; bad ones are noted on `failure`."""
    wanted = []
    for line in lines:
        text = request.POST.get(f"qty-{line.id}", "").strip()
        if not text:
            continue
        failure.typed[line.id] = text
        try:
            quantity = int(text)
            if quantity <= 0:
                raise ValueError
        except ValueError:
            failure.lines[line.id] = "Enter a whole number of units, at least 1."
            continue
        wanted.append((line, quantity))
    return wanted


@requires("backorders.fulfil")
@require_POST
def fulfil_backorder_view(request, number: str):
    """“Fulfil all” (`action=all`) queues every allocated unit; otherwise the
    quantities typed per line (seed 002's “Filled”)."""
    params, page, back = _back_to_list(request)
    failure = Failure(backorder=number)
    take_all = request.POST.get("action") == "all"
    try:
        lines = list(backorder_detail(number).lines.all())
    except DomainError as error:
        return not_found_page(request, error)
    wanted = [] if take_all else _quantities(request, lines, failure)
    if not take_all and not wanted and not failure.lines:
        failure.form = "Enter the units to fulfil on at least one line, or use “Fulfil all”."
    if not failure.lines and not failure.form:
        try:
            made = fulfil_backorder(
                number=number, actor_id=request.user.id,
                lines=None if take_all else [FulfilLine(x.product.sku, q) for x, q in wanted])
        except DomainError as error:
            if error.status == 404:
                return not_found_page(request, error)
            match = LINE_QUANTITY.match(error.field or "")
            if match and int(match[1]) < len(wanted):
                failure.lines[wanted[int(match[1])][0].id] = error.message
            else:
                failure.form = error.message
        else:
            units = sum(x.quantity for x in made.lines.all())
            _made_message(request, [made],
                          f"{number}: {units} unit{'s' if units != 1 else ''}")
            return _to_list(back)
    return render(request, "web/fulfilment/fulfil.html",
                  _fulfil_context(request, params, page, failure))


@requires("backorders.fulfil")
@require_POST
def fulfil_product_view(request):
    """Batch fulfilment (seed 003): one fulfillment per fulfillable backorder
    holding units of the product."""
    params, page, back = _back_to_list(request)
    sku = request.POST.get("sku", "").strip()
    failure = Failure(sku=sku)
    if not sku:
        failure.form = "Choose a product."
    else:
        try:
            made = fulfil_backorders_by_product(sku=sku, actor_id=request.user.id)
        except DomainError as error:
            failure.form = error.message
        else:
            _made_message(request, made, sku)
            return _to_list(back)
    return render(request, "web/fulfilment/fulfil.html",
                  _fulfil_context(request, params, page, failure))


@requires("orders.fulfil")
@require_POST
def fulfil_order_view(request, number: str):
    """The order's own allocated units onto one fulfillment (`fulfil_order`)."""
    try:
        made = fulfil_order(number=number, actor_id=request.user.id)
    except DomainError as error:
        if error.status == 404:
            return not_found_page(request, error)
        messages.error(request, error.message)
    else:
        units = sum(x.quantity for x in made.lines.all())
        _made_message(request, [made], f"{number}: {units} unit{'s' if units != 1 else ''}")
    return redirect("web:order", number=number)


# --- fulfillments ------------------------------------------------------------

FULFILLMENT_FILTERS = ("status", "order", "backorder")


@requires("fulfilment.view")
def fulfillment_list(request):
    params = {k: request.GET.get(k, "").strip() for k in FULFILLMENT_FILTERS}
    error = None
    try:
        qs = fulfillments(status=params["status"] or None, order=params["order"] or None,
                          backorder=params["backorder"] or None)
    except DomainError as failure:
        error = failure.message
        qs = Fulfillment.objects.none()
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "web/fulfilment/list.html", {
        "page": page, "params": params, "error": error, "query": query_string(params),
        "rows": [(f, sum(x.quantity for x in f.lines.all())) for f in page],
        "statuses": FulfillmentStatus.choices,
        "can_fulfil": request.user.can("backorders.fulfil"),
    })


def _fulfillment_context(request, number: str, **extra) -> dict:
    f = fulfillment_detail(number)
    lines = list(f.lines.all())
    manage = request.user.can("fulfilment.manage")
    moves = lifecycle.TRANSITIONS[f.status]
    return {
        "f": f, "total_quantity": sum(x.quantity for x in lines),
        "lines": [(x, Backorder(id=x.backorder_line.backorder_id).number
                   if x.backorder_line_id else None) for x in lines],
        "invoice": getattr(f, "invoice", None),
        # With the pick workflow on, only packed work is dispatched (the
        # pack station dispatches it too).
        "can_dispatch": manage and lifecycle.DISPATCHED in moves and (
            f.status == lifecycle.PACKED or business_settings().pick_workflow != "on"),
        "tote": (ToteContent.objects.filter(fulfillment_id=f.id)
                 .values_list("tote__code", flat=True).first()),
        "can_cancel": manage and lifecycle.CANCELLED in moves,
        "can_deliver": manage and lifecycle.DELIVERED in moves,
        "events": events_for(subject_type="fulfillment", subject=f.number).reverse(),
        "dispatch": {"values": {}, "errors": {}},
        **extra,
    }


@requires("fulfilment.view")
def fulfillment_page(request, number: str):
    try:
        context = _fulfillment_context(request, number)
    except DomainError as error:
        return not_found_page(request, error)
    return render(request, "web/fulfilment/detail.html", context)


@requires("fulfilment.manage")
@require_POST
def fulfillment_dispatch(request, number: str):
    values = {k: request.POST.get(k, "").strip() for k in ("carrier", "tracking_number")}
    errors = {k: f"At most {MAX_TEXT} characters." for k, v in values.items()
              if len(v) > MAX_TEXT}
    if not errors:
        try:
            dispatch_fulfillment(number=number, carrier=values["carrier"],
                                 tracking_number=values["tracking_number"],
                                 actor_id=request.user.id)
        except DomainError as error:
            if error.status == 404:
                return not_found_page(request, error)
            errors["form"] = error.message
        else:
            invoice = fulfillment_detail(number).invoice
            messages.success(request, format_html(
                "{} dispatched; invoice <a href=\"{}\">{}</a> issued.", number,
                reverse("web:invoice", args=[invoice.number]), invoice.number))
            return redirect("web:fulfillment", number=number)
    try:
        context = _fulfillment_context(request, number,
                                       dispatch={"values": values, "errors": errors})
    except DomainError as error:
        return not_found_page(request, error)
    if "form" in errors and not context["can_dispatch"]:
        # Dispatched or cancelled meanwhile (another tab, another person):
        # there is no form to show the refusal in.
        f = context["f"]
        messages.error(request, f"{f.number} is {f.get_status_display().lower()} already: "
                                "this dispatch was not recorded.")
    return render(request, "web/fulfilment/detail.html", context)


def _fulfillment_action(request, number: str, action, done: str):
    """Run one lifecycle workflow; its refusal is flashed on the detail page."""
    return flash_outcome(request, lambda: action(number=number, actor_id=request.user.id),
                         done=done, back="web:fulfillment", number=number)


@requires("fulfilment.manage")
@require_POST
def fulfillment_cancel(request, number: str):
    return _fulfillment_action(request, number, cancel_fulfillment,
                               f"{number} cancelled; its units stay allocated and can be "
                               "fulfilled again.")


@requires("fulfilment.manage")
@require_POST
def fulfillment_deliver(request, number: str):
    return _fulfillment_action(request, number, deliver_fulfillment,
                               f"{number} marked delivered.")


# --- invoices ----------------------------------------------------------------

INVOICE_FILTERS = ("customer", "order")


def _invoice_params(request) -> dict[str, str]:
    return {k: request.GET.get(k, "").strip() for k in INVOICE_FILTERS}


@requires("invoices.view")
def invoice_list(request):
    params = _invoice_params(request)
    qs = invoices(customer=params["customer"] or None, order=params["order"] or None)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "web/fulfilment/invoices.html", {
        "page": page, "params": params, "query": query_string(params),
        "customers": customers()[:MAX_CUSTOMER_CHOICES],
    })


@requires("invoices.view")
def invoice_csv(request):
    """Every invoice the list's filters match (not one page), in QuickBooks'
    invoice import layout."""
    params = _invoice_params(request)
    rows = invoices(customer=params["customer"] or None, order=params["order"] or None)
    return _csv_download(rows, "invoices.csv")


def _csv_download(rows, filename: str) -> HttpResponse:
    response = HttpResponse(invoices_csv(rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@requires("invoices.view")
def invoice_one_csv(request, number: str):
    """One invoice in the list's QuickBooks layout."""
    try:
        invoice = invoice_detail(number)
    except DomainError as error:
        return not_found_page(request, error)
    return _csv_download([invoice], f"{invoice.number}.csv")


@requires("invoices.view")
def invoice_page(request, number: str):
    try:
        invoice = invoice_detail(number)
    except DomainError as error:
        return not_found_page(request, error)
    return render(request, "web/fulfilment/invoice.html",
                  {"invoice": invoice, "lines": list(invoice.lines.all())})

"""The pack station and dispatch (the warehouse floor, seed 000) and the
printable packing slip. Each view parses input, calls one service or
selector and renders; refusals are shown on the page and change nothing."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from fillrate.core.errors import DomainError
from fillrate.fulfilment import lifecycle
from fillrate.fulfilment.selectors import fulfillments
from fillrate.picking.pages import packing_slip_html
from fillrate.picking.selectors import tote_detail
from fillrate.picking.services import pack_fulfillment, pack_tote
from fillrate.web.orders_views import not_found_page
from fillrate.web.permissions import requires
from fillrate.web.scan_views import Notice
from fillrate.workflows.dispatch import dispatch_fulfillments


@requires("fulfilment.view")
def packing_slip_page(request, number: str):
    """The printable slip: what is in the box, what is still on backorder."""
    try:
        return HttpResponse(packing_slip_html(number))
    except DomainError as error:
        return not_found_page(request, error)


MAX_TEXT = 100  # carrier and tracking number columns


@dataclass(frozen=True)
class InTote:
    """One fulfillment in the scanned tote, with its lines (picked of due)."""

    number: str
    status: str
    order: str
    items: list

    @property
    def packable(self) -> bool:
        return self.status == lifecycle.PICKED


def _in_tote(code: str):
    detail = tote_detail(code)
    groups: dict[str, InTote] = {}
    for item in detail.items:
        groups.setdefault(item.fulfillment,
                          InTote(item.fulfillment, item.status, item.order, [])).items.append(item)
    return detail, list(groups.values())


def _station(request, *, tote_code: str = "", notice=None, dispatch=None, status: int = 200):
    tote, contents = None, []
    if tote_code:
        try:
            tote, contents = _in_tote(tote_code)
        except DomainError as error:
            notice = notice or Notice(error.message, "error")
            status = 404 if status == 200 else status
    packed = fulfillments(status=lifecycle.PACKED).order_by("id")
    return render(request, "web/floor/pack.html", {
        "tote": tote, "contents": contents, "tote_code": tote_code, "notice": notice,
        "complete_count": sum(1 for f in contents if f.packable),
        "packed": [(f, sum(x.quantity for x in f.lines.all())) for f in packed],
        "dispatch": dispatch or {"values": {}, "errors": {}, "chosen": []},
        "can_pack": request.user.can("picking.pick"),
    }, status=status)


def _back(tote_code: str):
    url = reverse("web:pack")
    return redirect(f"{url}?{urlencode({'tote': tote_code})}" if tote_code else url)


@requires("picking.view")
def pack_page(request):
    """Scan a tote: what is in it; the packed fulfillments to dispatch."""
    return _station(request, tote_code=request.GET.get("tote", "").strip())


@requires("picking.pick")
@require_POST
def pack_tote_view(request, code: str):
    """Pack every complete fulfillment in the tote; issue ones stay in it."""
    try:
        packed = pack_tote(code=code, actor_id=request.user.id)
    except DomainError as error:
        return _station(request, tote_code=code, notice=Notice(error.message, "error"),
                        status=error.status)
    said = f"Packed {', '.join(packed.packed)} from tote {packed.tote}."
    if packed.left:
        said += (" Left in the tote: " + ", ".join(f"{n} ({s})" for n, s in packed.left)
                 + (". The tote goes to the issues wall." if packed.parked else "."))
    messages.success(request, said)
    return _back(code)


@requires("picking.pick")
@require_POST
def pack_one_view(request, number: str):
    tote_code = request.POST.get("tote", "").strip()
    try:
        pack_fulfillment(number=number, actor_id=request.user.id)
    except DomainError as error:
        return _station(request, tote_code=tote_code, notice=Notice(error.message, "error"),
                        status=error.status)
    messages.success(request, f"{number} packed: print its packing slip.")
    return _back(tote_code)


@requires("fulfilment.manage")
@require_POST
def dispatch_many_view(request):
    chosen = [x.strip() for x in request.POST.getlist("fulfillments") if x.strip()]
    values = {k: request.POST.get(k, "").strip() for k in ("carrier", "tracking_number")}
    errors = {k: f"At most {MAX_TEXT} characters." for k, v in values.items()
              if len(v) > MAX_TEXT}
    if not values["carrier"]:
        errors["carrier"] = "Name the carrier."
    if not chosen:
        errors["form"] = "Tick the fulfillments to dispatch."
    status = 422
    if not errors:
        try:
            dispatch_fulfillments(numbers=chosen, carrier=values["carrier"],
                                  tracking_number=values["tracking_number"],
                                  actor_id=request.user.id)
        except DomainError as error:
            key = error.field if error.field in ("carrier", "tracking_number") else "form"
            errors[key] = error.message
            status = error.status
        else:
            messages.success(request, f"Dispatched {', '.join(chosen)} with {values['carrier']}; "
                                      "invoices issued.")
            return redirect("web:pack")
    return _station(request, dispatch={"values": values, "errors": errors, "chosen": chosen},
                    status=status)

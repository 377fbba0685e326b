"""Totes: the list with what each holds, a new one, and printable labels
(Code 128, `picking.totes.tote_label_svg`)."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render

from fillrate.core.errors import DomainError
from fillrate.picking.models import Tote
from fillrate.picking.totes import create_tote, tote_by_code, tote_label_svg
from fillrate.web.orders_views import not_found_page
from fillrate.web.permissions import requires


@dataclass(frozen=True)
class Held:
    number: str
    status: str


@dataclass(frozen=True)
class ToteRow:
    code: str
    place: str
    fulfillments: list[Held]


def _rows(qs) -> list[ToteRow]:
    rows = qs.select_related("place").prefetch_related("contents__fulfillment")
    return [ToteRow(t.code, t.place.code if t.place_id else "",
                    [Held(c.fulfillment.number, c.fulfillment.status)
                     for c in sorted(t.contents.all(), key=lambda c: c.fulfillment_id)])
            for t in rows]


@requires("picking.view")
def tote_list(request):
    """GET: the totes; POST: a new tote (`picking.pick`)."""
    code, error, status = "", "", 200
    if request.method == "POST":
        if not request.user.can("picking.pick"):
            raise PermissionDenied("picking.pick")
        code = request.POST.get("code", "").strip()
        try:
            tote = create_tote(code=code, actor_id=request.user.id)
        except DomainError as failure:
            error, status = failure.message, (422 if failure.status == 404 else failure.status)
        else:
            messages.success(request, f"Tote {tote.code} added: print its label.")
            return redirect("web:tote", code=tote.code)
    return render(request, "web/floor/totes.html", {
        "totes": _rows(Tote.objects.order_by("code")), "code": code, "error": error,
        "can_make": request.user.can("picking.pick"),
    }, status=status)


@requires("picking.view")
def tote_label_page(request, code: str):
    """One tote's printable label, with what it holds."""
    try:
        tote = tote_by_code(code)
    except DomainError as error:
        return not_found_page(request, error)
    return render(request, "web/floor/tote_label.html",
                  {"totes": _rows(Tote.objects.filter(id=tote.id))})


@requires("picking.view")
def tote_labels_page(request):
    """Every tote's label on one page, to print a sheet."""
    return render(request, "web/floor/tote_label.html",
                  {"totes": _rows(Tote.objects.order_by("code"))})


@requires("picking.view")
def tote_label_svg_view(request, code: str):
    try:
        tote = tote_by_code(code)
    except DomainError as error:
        return not_found_page(request, error)
    return HttpResponse(tote_label_svg(tote.code), content_type="image/svg+xml")

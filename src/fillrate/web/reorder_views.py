"""Reorder suggestions: the list by supplier, setting and importing reorder
points, and draft purchase orders from the chosen rows."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from fillrate.core.errors import DomainError
from fillrate.purchasing.reorder import (
    create_draft_purchase_orders,
    import_reorder_points,
    set_reorder_point,
)
from fillrate.purchasing.selectors import suppliers
from fillrate.reports.reorder import reorder_suggestions
from fillrate.web.permissions import requires


@requires("backorders.view")
def reorder_page(request):
    return render(request, "web/reports/reorder.html", {
        "groups": reorder_suggestions(), "suppliers": suppliers(),
        "can_manage": request.user.can("purchasing.manage")})


@require_POST
@requires("purchasing.manage")
def reorder_drafts(request):
    chosen = request.POST.getlist("sku")
    quantities: dict[str, int] = {}
    for sku in chosen:
        text = request.POST.get(f"qty-{sku}", "").strip()
        quantities[sku] = int(text) if text.isdigit() else -1
    try:
        orders = create_draft_purchase_orders(quantities=quantities, actor_id=request.user.id)
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("web:reorder")
    messages.success(request, "Draft purchase orders created: "
                     + ", ".join(f"{po.number} ({po.supplier.code})" for po in orders))
    return redirect("web:reorder")


@require_POST
@requires("purchasing.manage")
def reorder_point_set(request):
    text = request.POST.get("reorder_point", "").strip()
    sku = request.POST.get("sku", "").strip()
    try:
        set_reorder_point(sku=sku, reorder_point=int(text) if text.isdigit() else -1,
                          supplier=request.POST.get("supplier", "").strip() or None,
                          actor_id=request.user.id)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"{sku}: reorder point {text}.")
    return redirect("web:reorder")


@require_POST
@requires("purchasing.manage")
def reorder_import(request):
    upload = request.FILES.get("file")
    text = upload.read().decode("utf-8-sig", errors="replace") if upload else ""
    try:
        n = import_reorder_points(text=text, actor_id=request.user.id)
    except DomainError as error:
        details = getattr(error, "errors", [])
        messages.error(request, "Nothing imported: " + "; ".join(
            f"row {e.row}, {e.column}: {e.message}" for e in details[:10]) if details
            else error.message)
    else:
        messages.success(request, f"Reorder points imported for {n} products.")
    return redirect("web:reorder")

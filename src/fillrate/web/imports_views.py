"""The Import page (upload, preview with every error marked, confirm) and the
"Export CSV" link of the list pages, which exports what their filters show."""

from __future__ import annotations

import csv
import io
import secrets
from datetime import timedelta

from django.contrib import messages
from django.db import transaction
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from fillrate.backorders.selectors import products_with_figures
from fillrate.core.business import business_settings
from fillrate.core.errors import DomainError
from fillrate.customers.selectors import customers
from fillrate.fulfilment.selectors import filtered_backorders
from fillrate.orders.models import OrderStatus
from fillrate.orders.selectors import orders
from fillrate.purchasing.models import PurchaseOrderStatus
from fillrate.purchasing.selectors import purchase_orders, suppliers
from fillrate.web.backorders_views import FILTERS as BACKORDER_FILTERS
from fillrate.web.backorders_views import _filters as backorder_filters
from fillrate.web.models import ImportUpload
from fillrate.web.permissions import requires
from fillrate.workflows.imports import KINDS, ImportFailed, kind_named, run_import, template
from fillrate.workflows.imports.exports import EXPORTS, csv_chunks

PREVIEW_ROWS = 20
MAX_UPLOAD_BYTES = 50 * 1024 * 1024
KEEP_UPLOADS = timedelta(days=1)
KIND_LABELS = {"products": "Products", "customers": "Customers", "sales-reps": "Sales reps",
               "locations": "Locations", "stock": "Stock (counted quantities)",
               "suppliers": "Suppliers", "orders": "Orders",
               "purchase-orders": "Purchase orders"}


def _preview(content: str, errors) -> dict:
    """The header and the first rows as the file has them, each cell with
    its error (if any), and the errors of rows further down."""
    by_cell: dict[tuple[int, str], list[str]] = {}
    for e in errors:
        by_cell.setdefault((e.row, e.column), []).append(e.message)
    reader = csv.reader(io.StringIO(content, newline=""))
    try:
        header = next(reader)
    except (StopIteration, csv.Error):
        return {"header": [], "rows": [], "header_errors": [], "more": []}
    names = [h.strip().lstrip("\ufeff").strip().lower() for h in header]
    rows = []
    number = 1
    try:
        for record in reader:
            number += 1
            if len(rows) >= PREVIEW_ROWS:
                break
            cells = [{"value": value,
                      "errors": by_cell.get((number, names[i] if i < len(names) else ""), [])}
                     for i, value in enumerate(record)]
            rows.append({"number": number, "cells": cells,
                         "errors": by_cell.get((number, ""), []),
                         "bad": any(e.row == number for e in errors)})
    except csv.Error:
        pass
    shown = {r["number"] for r in rows}
    return {
        "header": [{"value": h, "errors": by_cell.get((1, names[i]), [])}
                   for i, h in enumerate(header)],
        "header_errors": by_cell.get((1, ""), []),
        "rows": rows,
        "more": [e for e in errors if e.row not in shown and e.row != 1],
    }


def _render(request, *, kind: str = "", upload: ImportUpload | None = None,
            result=None, failed: ImportFailed | None = None, status: int = 200):
    errors = failed.errors if failed else []
    return render(request, "web/imports/import.html", {
        "kinds": [(k, KIND_LABELS.get(k, k)) for k in KINDS], "kind": kind,
        "template": template(kind) if kind else "",
        "upload": upload, "result": result, "failed": failed,
        "preview": _preview(upload.content, errors) if upload else None,
    }, status=status)


@requires("imports.run")
def import_page(request):
    """GET: choose a kind and a file. POST: keep the file under a one-time
    token and show a dry run of it."""
    if request.method != "POST":
        kind = request.GET.get("kind", "")
        return _render(request, kind=kind if kind in KINDS else "")
    kind = request.POST.get("kind", "")
    if kind not in KINDS:
        messages.error(request, "Choose what the file holds.")
        return _render(request, status=422)
    upload_file = request.FILES.get("file")
    if upload_file is None:
        messages.error(request, "Choose a CSV file to upload.")
        return _render(request, kind=kind, status=422)
    if upload_file.size > MAX_UPLOAD_BYTES:
        messages.error(request, f"The file is larger than {MAX_UPLOAD_BYTES // 2**20} MB: "
                       "import it with `fillrate import` instead.")
        return _render(request, kind=kind, status=422)
    try:
        content = upload_file.read().decode("utf-8-sig")
    except UnicodeDecodeError:
        messages.error(request, "The file is not UTF-8 text: save it as “CSV UTF-8”.")
        return _render(request, kind=kind, status=422)
    if "\x00" in content:
        messages.error(request, "The file contains NUL characters: it is not a CSV file.")
        return _render(request, kind=kind, status=422)
    with transaction.atomic():
        ImportUpload.objects.filter(created_at__lt=timezone.now() - KEEP_UPLOADS).delete()
        upload = ImportUpload.objects.create(
            token=secrets.token_urlsafe(32), user=request.user, kind=kind,
            filename=(upload_file.name or "")[:255], content=content)
    try:
        result = run_import(kind_named(kind), lambda: io.StringIO(content, newline=""),
                            dry_run=True, actor_id=request.user.id)
    except ImportFailed as failed:
        return _render(request, kind=kind, upload=upload, failed=failed, status=422)
    return _render(request, kind=kind, upload=upload, result=result)


@requires("imports.run")
@require_POST
def import_confirm(request):
    """Import the previewed file (once: the token is spent)."""
    token = request.POST.get("token", "")
    with transaction.atomic():
        upload = (ImportUpload.objects.select_for_update()
                  .filter(token=token, user=request.user).first())
        if upload is not None:
            upload.delete()
    if upload is None:
        messages.error(request, "That upload was imported already or has expired: upload "
                       "the file again.")
        return redirect("web:import")
    content = upload.content
    try:
        result = run_import(kind_named(upload.kind), lambda: io.StringIO(content, newline=""),
                            actor_id=request.user.id)
    except ImportFailed as failed:
        upload.pk = None  # shown again as it was, under a new token
        upload.token = secrets.token_urlsafe(32)
        upload.save()
        return _render(request, kind=upload.kind, upload=upload, failed=failed, status=422)
    messages.success(request, result.summary())
    return redirect(f"{reverse('web:import')}?kind={upload.kind}")


# -- exports --------------------------------------------------------------------

def _param(request, name: str) -> str | None:
    return request.GET.get(name, "").strip() or None


def _rows_of_page(request, kind: str):
    """The query of the list page of `kind` with its filters from the URL."""
    if kind == "products":
        return products_with_figures(search=request.GET.get("q", "").strip())
    if kind == "customers":
        return customers(search=request.GET.get("q", "").strip())
    if kind == "orders":
        status = _param(request, "status")
        if status and status not in OrderStatus.values:
            return orders().none()
        return orders(status=status, customer=_param(request, "customer"))
    if kind == "purchase-orders":
        status = _param(request, "status")
        if status and status not in PurchaseOrderStatus.values:
            return purchase_orders().none()
        return purchase_orders(status=status, supplier=_param(request, "supplier"),
                               sku=_param(request, "sku"))
    if kind == "suppliers":
        return suppliers()
    if kind == "backorders":
        params = {k: request.GET.get(k, "").strip() for k in BACKORDER_FILTERS}
        filters, errors = backorder_filters(params)
        if filters is None:
            return None
        return filtered_backorders(filters,
                                   partial_shipments=business_settings().partial_shipments)
    return None  # everything


EXPORT_PERMISSIONS = {"products": "catalog.view", "customers": "customers.view",
                      "sales-reps": "customers.view", "suppliers": "purchasing.view",
                      "locations": "stock.view", "stock": "stock.view",
                      "orders": "orders.view", "purchase-orders": "purchasing.view",
                      "backorders": "backorders.view"}


def export_csv(request, kind: str):
    """`/export/KIND.csv?...filters of the list page`: what the page shows,
    every page of it."""
    permission = EXPORT_PERMISSIONS.get(kind)
    if permission is None or kind not in EXPORTS:
        return HttpResponse(f"no export of {kind!r}", status=404, content_type="text/plain")

    @requires(permission)
    def view(request):
        try:
            rows = _rows_of_page(request, kind)
            chunks = csv_chunks(kind, rows)
            first = next(iter(chunks))
        except DomainError as error:
            return HttpResponse(error.message, status=422, content_type="text/plain")

        def stream():
            yield first
            yield from chunks

        response = StreamingHttpResponse(stream(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{kind}.csv"'
        return response

    return view(request)

"""The pick queue (filters, hold and release, start a run) and pick runs
(list, detail, printable pick list, cancel)."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from fillrate.accounts.models import User
from fillrate.accounts.permissions import roles_with
from fillrate.core.errors import DomainError
from fillrate.inventory.models import SELLABLE_KINDS
from fillrate.picking import lifecycle
from fillrate.picking.models import PickRunStatus
from fillrate.picking.pages import queue_zones, run_path
from fillrate.picking.selectors import pick_queue, pick_runs, run_detail
from fillrate.picking.services import (
    cancel_pick_run,
    create_pick_run,
    hold_fulfillment,
    release_fulfillment,
)
from fillrate.web.orders_views import not_found_page, query_string
from fillrate.web.permissions import requires

QUEUE_FILTERS = ("zone", "kind")
PAGE_SIZE = 50
QUEUE_PAGE_SIZE = 100
MAX_RUN_SIZE = 1000


def _queue_params(data: QueryDict) -> dict[str, str]:
    return {k: data.get(k, "").strip() for k in QUEUE_FILTERS}


def _pickers() -> list[str]:
    return list(User.objects.filter(is_active=True, role__in=roles_with("picking.pick"))
                .order_by("username").values_list("username", flat=True))


def _queue_page(request, params: dict[str, str], *, start=None, start_error: str = "",
                chosen=(), status: int = 200):
    error = ""
    kind = params["kind"]
    if kind and kind not in SELLABLE_KINDS:
        error, kind = f"Location kind is one of {', '.join(SELLABLE_KINDS)}.", ""
    page = Paginator(pick_queue(zone=params["zone"] or None, location_kind=kind or None),
                     QUEUE_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "web/floor/queue.html", {
        "rows": list(page), "page": page,
        "held": list(pick_queue(held=True)),
        "params": params, "query": query_string(params), "error": error,
        "zones": queue_zones(), "kinds": SELLABLE_KINDS,
        "can_pick": request.user.can("picking.pick"),
        "can_hold": request.user.can("picking.hold"),
        "pickers": _pickers(),
        "start": start or {"picker": request.user.username, "max_fulfillments": "", "tote": ""},
        "start_error": start_error, "chosen": list(chosen),
    }, status=422 if error and status == 200 else status)


@requires("picking.view")
def queue_page(request):
    return _queue_page(request, _queue_params(request.GET))


def _to_queue(request):
    sent = QueryDict(request.POST.get("query", ""))
    params = _queue_params(sent)
    url = reverse("web:pick_queue")
    return redirect(f"{url}?{query_string(params)}" if query_string(params) else url)


@requires("picking.hold")
@require_POST
def queue_hold(request, number: str):
    try:
        hold_fulfillment(number=number, reason=request.POST.get("reason", ""),
                         actor_id=request.user.id)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"{number} is held: it stays out of pick runs until released.")
    return _to_queue(request)


@requires("picking.hold")
@require_POST
def queue_release(request, number: str):
    try:
        release_fulfillment(number=number, actor_id=request.user.id)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"{number} is back in the pick queue.")
    return _to_queue(request)


@requires("picking.pick")
@require_POST
def pick_run_new(request):
    """Start a run of the ticked fulfillments, or of the first N of the
    queue (with the page's filters), for a picker, optionally into one tote."""
    params = _queue_params(QueryDict(request.POST.get("query", "")))
    chosen = [x.strip() for x in request.POST.getlist("fulfillments") if x.strip()]
    start = {k: request.POST.get(k, "").strip() for k in ("picker", "max_fulfillments", "tote")}
    error = ""
    size = None
    if not chosen:
        text = start["max_fulfillments"] or "10"
        size = int(text) if text.isdigit() else None
        if size is None or not 1 <= size <= MAX_RUN_SIZE:
            error = f"Tick fulfillments, or ask for the first 1 to {MAX_RUN_SIZE} of the queue."
    if not error:
        try:
            run = create_pick_run(
                fulfillments=chosen or None, max_fulfillments=size,
                picker=start["picker"] or request.user.username,
                tote=start["tote"] or None, zone=params["zone"] or None,
                location_kind=params["kind"] if params["kind"] in SELLABLE_KINDS else None,
                actor_id=request.user.id)
        except DomainError as failure:
            error = failure.message
            status = failure.status
        else:
            messages.success(request, f"{run.number} started for "
                                      f"{start['picker'] or request.user.username}.")
            return redirect("web:pick_run", number=run.number)
    else:
        status = 422
    return _queue_page(request, params, start=start, start_error=error, chosen=chosen,
                       status=status)


@requires("picking.view")
def run_list(request):
    status = request.GET.get("status", "").strip()
    qs = pick_runs(status=status if status in PickRunStatus.values else None)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "web/floor/runs.html", {
        "page": page, "params": {"status": status}, "statuses": PickRunStatus.choices,
        "query": urlencode({"status": status}) if status else "",
    })


def _run_context(request, number: str) -> dict:
    detail = run_detail(number)
    run = detail.run
    return {"run": run, "path": run_path(detail), "members": detail.members,
            "can_scan": request.user.can("picking.pick") and run.status in lifecycle.ACTIVE,
            "can_cancel": request.user.can("picking.pick") and run.status in lifecycle.ACTIVE}


@requires("picking.view")
def run_page(request, number: str):
    try:
        context = _run_context(request, number)
    except DomainError as error:
        return not_found_page(request, error)
    return render(request, "web/floor/run.html", context)


@requires("picking.view")
def pick_list_page(request, number: str):
    """The run's pick path, printable: one walk through the warehouse."""
    try:
        context = _run_context(request, number)
    except DomainError as error:
        return not_found_page(request, error)
    return render(request, "web/floor/pick_list.html", context)


@requires("picking.pick")
@require_POST
def run_cancel(request, number: str):
    try:
        cancel_pick_run(number=number, actor_id=request.user.id)
    except DomainError as error:
        if error.status == 404:
            return not_found_page(request, error)
        messages.error(request, error.message)
    else:
        messages.success(request, f"{number} cancelled: its unpicked work is back in the queue.")
    return redirect("web:pick_run", number=number)

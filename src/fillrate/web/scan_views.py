"""The scan pick screen (phone first): start a run, see the next location,
scan location -> product (UPC or SKU) -> quantity -> tote, undo the last
scan, mark units missing, see the progress.

`web/scan.js` walks the steps in the browser and sends the pick when the
tote is scanned; without it each Enter sends what is filled and the page asks
for the next step (the steps filled so far are checked and kept, nothing is
recorded until all four are there). htmx requests get the screen's fragment,
others a whole page (post/redirect/get on success). The server checks every
step again; the service (`picking.services.record_pick`) has the last word."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from fillrate.core.errors import DomainError, InvalidValue
from fillrate.picking import lifecycle
from fillrate.picking.pages import RunPath, run_path
from fillrate.picking.selectors import pick_queue, pick_runs, run_detail
from fillrate.picking.services import create_pick_run, mark_missing, record_pick, undo_last_pick
from fillrate.web.orders_views import not_found_page
from fillrate.web.permissions import requires

STEPS = ("location", "product", "quantity", "tote")
DEFAULT_RUN_SIZE = 5
MAX_RUN_SIZE = 200


@dataclass(frozen=True)
class Notice:
    text: str
    tone: str  # "ok" | "error": the colour and the sound


def _same(a: str, b: str | None) -> bool:
    return bool(b) and a.strip().upper() == b.strip().upper()


def _whole(text: str) -> int | None:
    text = text.strip()
    return int(text) if text.isdigit() else None


def _panel(request, run, path: RunPath, *, values=None, errors=None, notice=None,
           focus="location", status=200):
    template = ("web/floor/_scan_panel.html" if request.htmx else "web/floor/scan.html")
    return render(request, template, {
        "run": run, "path": path, "values": values or {}, "errors": errors or {},
        "notice": notice, "focus": focus,
    }, status=status)


def _check_steps(values: dict[str, str], stop) -> tuple[dict[str, str], str | None]:
    """Each filled step against the line on the screen, in order: the
    errors, and the first step still to scan (None: all four are there)."""
    errors: dict[str, str] = {}
    if values["location"] and not _same(values["location"], stop.location):
        errors["location"] = (f"Wrong location: scanned “{values['location']}”, this line is "
                              f"at {stop.location}.")
    if values["product"] and not (_same(values["product"], stop.sku)
                                  or _same(values["product"], stop.upc)):
        errors["product"] = (f"Wrong product: scanned “{values['product']}”, this line wants "
                             f"{stop.sku}{f' (UPC {stop.upc})' if stop.upc else ''}.")
    if values["quantity"]:
        quantity = _whole(values["quantity"])
        if quantity is None or quantity < 1:
            errors["quantity"] = "The quantity is a whole number, at least 1."
        elif quantity > stop.due:
            errors["quantity"] = f"Only {stop.due} due here: pick at most {stop.due}."
    if values["tote"] and stop.tote and not _same(values["tote"], stop.tote):
        errors["tote"] = (f"Wrong tote: scanned “{values['tote']}”, {stop.fulfillment} goes "
                          f"into {stop.tote}.")
    missing = next((s for s in STEPS if not values[s]), None)
    return errors, missing


def _load(number: str):
    detail = run_detail(number)
    return detail.run, run_path(detail)


@requires("picking.pick")
def scan_home(request):
    """Start a run (the first N of the queue, for me) or go on with mine."""
    error = ""
    size_text, tote = str(DEFAULT_RUN_SIZE), ""
    if request.method == "POST":
        tote = request.POST.get("tote", "").strip()
        size_text = request.POST.get("max_fulfillments", "").strip() or str(DEFAULT_RUN_SIZE)
        size = _whole(size_text)
        if size is None or not 1 <= size <= MAX_RUN_SIZE:
            error = f"Fulfillments in the run: a whole number from 1 to {MAX_RUN_SIZE}."
        else:
            try:
                run = create_pick_run(max_fulfillments=size, picker=request.user.username,
                                      tote=tote or None, actor_id=request.user.id)
            except DomainError as failure:
                error = failure.message
            else:
                return redirect("web:pick_scan", number=run.number)
    mine = list(pick_runs().filter(picker_id=request.user.id, status__in=lifecycle.ACTIVE))
    return render(request, "web/floor/scan_home.html", {
        "mine": mine, "error": error, "max_fulfillments": size_text, "tote": tote,
        "queued": pick_queue().count(),
    }, status=422 if error else 200)


@requires("picking.pick")
def scan_page(request, number: str):
    try:
        run, path = _load(number)
    except DomainError as error:
        return not_found_page(request, error)
    if request.method != "POST":
        return _panel(request, run, path)
    values = {s: request.POST.get(s, "").strip() for s in STEPS}
    stop = path.current
    if stop is None or (request.POST.get("fulfillment") != stop.fulfillment
                        or request.POST.get("sku") != stop.sku
                        or request.POST.get("stop_location") != stop.location):
        # The screen was behind (another device picked, or an old tab):
        # nothing is recorded, the screen shows where the run is now.
        notice = Notice("The run moved on since this screen was shown: nothing was recorded. "
                        "This is the line to pick now.", "error")
        return _panel(request, run, path, notice=notice, status=409)
    errors, missing = _check_steps(values, stop)
    if errors:
        first = next(s for s in STEPS if s in errors)
        values[first] = ""
        return _panel(request, run, path, values=values, errors=errors, focus=first,
                      notice=Notice(errors[first], "error"), status=422)
    if missing:
        # No script: a step arrived on its own; ask for the next one.
        return _panel(request, run, path, values=values, focus=missing)
    try:
        record_pick(run=number, fulfillment=stop.fulfillment, sku=stop.sku,
                    location=stop.location, quantity=int(values["quantity"]),
                    tote=values["tote"], actor_id=request.user.id)
    except DomainError as error:
        run, path = _load(number)
        field = {"sku": "product"}.get(error.field or "", error.field)
        field = field if field in STEPS else None
        return _panel(request, run, path, values=values,
                      errors={field: error.message} if field else {},
                      notice=Notice(error.message, "error"), focus=field or "location",
                      status=error.status)
    done = f"Picked {values['quantity']} × {stop.sku} into {values['tote'].upper()}."
    if not request.htmx:
        messages.success(request, done)
        return redirect("web:pick_scan", number=number)
    run, path = _load(number)
    return _panel(request, run, path, notice=Notice(done, "ok"))


def _after(request, number: str, *, done: str | None = None, error: DomainError | None = None,
           missing_typed: str = ""):
    """The screen after undo or mark missing: the fragment (htmx), or the
    page by post/redirect/get; a refusal is shown in red and changed nothing."""
    if error is None and not request.htmx:
        messages.success(request, done)
        return redirect("web:pick_scan", number=number)
    try:
        run, path = _load(number)
    except DomainError as failure:
        return not_found_page(request, failure)
    if error is not None:
        return _panel(request, run, path, notice=Notice(error.message, "error"),
                      values={"missing": missing_typed},
                      errors={"missing": error.message} if missing_typed else {},
                      status=error.status)
    return _panel(request, run, path, notice=Notice(done, "ok"))


@requires("picking.pick")
@require_POST
def undo_page(request, number: str):
    try:
        undone = undo_last_pick(run=number, actor_id=request.user.id)
    except DomainError as error:
        if error.status == 404 and not request.htmx:
            return not_found_page(request, error)
        return _after(request, number, error=error)
    return _after(request, number, done=f"Undone: {undone.quantity} × {undone.product.sku} "
                                        "is back on the line to pick.")


@requires("picking.pick")
@require_POST
def missing_page(request, number: str):
    fields = {k: request.POST.get(k, "").strip()
              for k in ("fulfillment", "sku", "location", "quantity")}
    quantity = _whole(fields["quantity"])
    if quantity is None or quantity < 1:
        error = InvalidValue("picking.invalid_quantity",
                             "Units missing: a whole number, at least 1.", field="quantity")
        return _after(request, number, error=error, missing_typed=fields["quantity"] or " ")
    try:
        mark_missing(fulfillment=fields["fulfillment"], sku=fields["sku"],
                     location=fields["location"], quantity=quantity, actor_id=request.user.id)
    except DomainError as error:
        return _after(request, number, error=error, missing_typed=fields["quantity"])
    return _after(request, number, done=(
        f"{quantity} × {fields['sku']} marked missing; {fields['fulfillment']} goes to the "
        "issues wall. Go on with the rest."))

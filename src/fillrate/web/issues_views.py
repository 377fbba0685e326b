"""The supervisor's issues wall (seed 000): each open issue with what is
missing, where it should have been, where else the product is recorded and
its recent receipts; supervisors and administrators resolve it (found, with
the location; cancel; split; wait)."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from fillrate.core.errors import DomainError
from fillrate.picking.pages import sellable_location_codes
from fillrate.picking.selectors import issues, issues_wall
from fillrate.web.orders_views import not_found_page
from fillrate.web.permissions import requires
from fillrate.workflows.resolve_issue import resolve_issue

DONE = {  # what the page says after each decision
    "found": "{number}: found at {location}; {fulfillment} is back in the pick queue.",
    "cancel": "{number}: the missing units are cancelled on the order; {fulfillment} goes on "
              "to pack.",
    "split": "{number}: the missing units are on backorder {backorder}; {fulfillment} goes on "
             "to pack and ships the rest now.",
    "wait": "{number}: {fulfillment} waits for stock with its tote (backorder {backorder}); it "
            "returns to the pick queue when the missing units are allocated to it.",
    "wait_over": "{number}: the missing units were allocated at once from stock elsewhere "
                 "(backorder {backorder}); {fulfillment} is back in the pick queue.",
}


def _wall(request, *, failed: str = "", error: str = "", chosen: str = "", status: int = 200):
    """The wall; a refused decision is said on its issue's card (`failed`).
    Each card offers where the units may have been found: where they should
    have been, where else the product is recorded, then every other shelf."""
    shelves = sellable_location_codes()
    cards = []
    for wall in issues_wall(list(issues())):
        first = [wall.issue.location.code, *(s.location for s in wall.elsewhere)]
        first = list(dict.fromkeys(first))
        cards.append((wall, first, [c for c in shelves if c not in first]))
    return render(request, "web/floor/issues.html", {
        "cards": cards, "can_resolve": request.user.can("picking.resolve"),
        "failed": failed, "error": error, "chosen": chosen,
    }, status=status)


@requires("picking.view")
def issues_page(request):
    return _wall(request)


@requires("picking.resolve")
@require_POST
def issue_resolve(request, number: str):
    action = request.POST.get("action", "").strip()
    location = request.POST.get("location", "").strip()
    try:
        done = resolve_issue(number=number, action=action,
                             location=location if action == "found" else None,
                             actor_id=request.user.id)
    except DomainError as error:
        if error.code == "picking.unknown_issue":
            return not_found_page(request, error)
        return _wall(request, failed=number, error=error.message, chosen=location,
                     status=error.status)
    key = done.action
    if key == "wait" and done.fulfillment_status == "queued":
        key = "wait_over"
    messages.success(request, DONE[key].format(
        number=number, location=location, fulfillment=done.fulfillment,
        backorder=done.backorder or "—"))
    return redirect("web:issues")

"""The customer's choice page (public, no login): a signed link opens the
backorder and offers wait / ship what is ready now / cancel / accept the
proposed substitute. A tampered, expired or used link, or a closed
backorder, is a plain page that says so and gives the shop's contact; it
never shows a backorder the link does not name. The form carries Django's
CSRF token; every address is rate-limited (`PER_ADDRESS` requests and
`BAD_LINKS` unusable links per `WINDOW`)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from fillrate.backorders import lifecycle
from fillrate.backorders.models import Backorder, BackorderLine, Preference
from fillrate.comms.links import CHOICE_LINK_MAX_AGE, ChoiceLinkError, read_choice_token
from fillrate.core.business import business_settings
from fillrate.core.errors import DomainError
from fillrate.orders.models import OrderLine
from fillrate.orders.money import kept_value, order_money
from fillrate.web.models import PublicPageHit
from fillrate.workflows.choice import apply_choice
from fillrate.workflows.substitute import proposed_substitutes

WINDOW = dt.timedelta(minutes=10)
PER_ADDRESS = 60
BAD_LINKS = 10
STATUS = {"invalid": 404, "expired": 410, "used": 410, "closed": 409, "busy": 429}


def _address(request) -> str:
    """The client's address. Behind the TLS proxy fillrate trusts
    (`FILLRATE_HTTPS`), every request comes from the proxy: the address the
    proxy appended to `X-Forwarded-For` (the last one) is the client's."""
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if getattr(settings, "HTTPS", False) and forwarded.strip():
        return forwarded.split(",")[-1].strip()[:45]
    return (request.META.get("REMOTE_ADDR") or "unknown")[:45]


def _limited(address: str) -> bool:
    since = timezone.now() - WINDOW
    recent = PublicPageHit.objects.filter(address=address, created_at__gt=since)
    return (recent.count() >= PER_ADDRESS
            or recent.filter(bad_link=True).count() >= BAD_LINKS)


def _hit(address: str, *, bad_link: bool = False) -> None:
    PublicPageHit.objects.filter(created_at__lt=timezone.now() - WINDOW).delete()
    PublicPageHit.objects.create(address=address, bad_link=bad_link)


def _problem(request, reason: str, *, message: str = "", number: str = ""):
    response = render(request, "web/choice/problem.html", {
        "reason": reason, "message": message, "number": number,
        "shop": business_settings(),
        "days": CHOICE_LINK_MAX_AGE.days})
    response.status_code = STATUS.get(reason, 400)
    return response


def _context(backorder: Backorder) -> dict:
    lines = list(BackorderLine.objects.filter(backorder_id=backorder.id)
                 .select_related("product").order_by("id"))
    own_ready = sum(OrderLine.objects.filter(order_id=backorder.order_id)
                    .values_list("allocated", flat=True))
    ready = sum(x.allocated for x in lines) + own_ready
    # What cancelling would owe back: what was paid beyond the value of the
    # units that would still come (as `fillrate.orders.money` credits it).
    open_value = sum((x.open_quantity * x.unit_price for x in lines), Decimal("0"))
    paid = backorder.order.amount_paid
    owed_if_cancelled = Decimal("0")
    if paid:
        owed_if_cancelled = max(paid - order_money(backorder.order_id).credited
                                - (kept_value(backorder.order_id) - open_value), Decimal("0"))
    return {
        "owed_if_cancelled": owed_if_cancelled,
        "b": backorder, "shop": business_settings(),
        "lines": [x for x in lines if x.open_quantity],
        "ready": ready,
        "substitutes": proposed_substitutes(backorder.id),
        "options": Preference.choices,
    }


@never_cache
@require_http_methods(["GET", "POST"])
def choice_page(request, token: str):
    address = _address(request)
    if _limited(address):
        return _problem(request, "busy")
    try:
        parsed = read_choice_token(token)
    except ChoiceLinkError as error:
        _hit(address, bad_link=error.reason == "invalid")
        return _problem(request, error.reason)
    _hit(address)
    backorder = (Backorder.objects.select_related("order", "customer")
                 .filter(id=parsed.backorder_id).first())
    if backorder is None:
        return _problem(request, "invalid")
    if backorder.status not in lifecycle.ACTIVE:
        return _problem(request, "closed", number=backorder.number,
                        message=f"{backorder.number} is {backorder.get_status_display().lower()}")
    context = _context(backorder)
    if request.method == "POST":
        choice = request.POST.get("choice", "").strip()
        if choice not in Preference.values or (choice == Preference.SUBSTITUTE
                                               and not context["substitutes"]):
            context["error"] = "Choose one of the options below."
            response = render(request, "web/choice/page.html", context)
            response.status_code = 422
            return response
        try:
            result = apply_choice(token=parsed, choice=choice)
        except ChoiceLinkError as error:
            return _problem(request, error.reason)
        except DomainError as error:
            context["error"] = ("We could not do that just now: "
                                f"{error.message}. Nothing was changed; please contact us.")
            response = render(request, "web/choice/page.html", context)
            response.status_code = error.status
            return response
        backorder.refresh_from_db()
        return render(request, "web/choice/done.html", {
            "b": backorder, "shop": context["shop"], "choice": choice,
            "label": Preference(choice).label, "result": result})
    # The email's option links (`?option=partial`) open the page with it chosen.
    option = request.GET.get("option", "")
    context["preselected"] = option if option in Preference.values else ""
    return render(request, "web/choice/page.html", context)

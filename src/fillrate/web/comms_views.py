"""Staff pages of customer notifications (the email outbox, with a retry
button for failed ones) and webhooks (their deliveries and every try), and
the public unsubscribe page a customer reaches from any email."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from fillrate.comms import selectors
from fillrate.comms.models import Channel, DeliveryStatus
from fillrate.comms.services import retry_notification, retry_webhook_delivery, set_preference
from fillrate.comms.unsubscribe import read_unsubscribe_token
from fillrate.core.errors import DomainError
from fillrate.customers.models import Customer
from fillrate.web.permissions import requires


def _status(request) -> str | None:
    status = request.GET.get("status") or None
    return status if status in DeliveryStatus.values else None


@requires("notifications.view")
def outbox(request):
    status = _status(request)
    return render(request, "web/comms/outbox.html", {
        "counts": list(selectors.outbox_counts().items()), "status": status,
        "rows": selectors.notifications(status=status),
    })


@requires("notifications.manage")
@require_POST
def outbox_retry(request, pk: int):
    try:
        retry_notification(notification_id=pk)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"Email {pk} queued again; the worker sends it shortly.")
    return redirect("web:outbox")


@requires("webhooks.view")
def webhook_list(request):
    status = _status(request)
    return render(request, "web/comms/webhooks.html", {
        "webhooks": selectors.webhooks(), "status": status, "statuses": DeliveryStatus.values,
        "deliveries": selectors.webhook_deliveries(status=status),
    })


@requires("webhooks.manage")
@require_POST
def webhook_retry(request, pk: int):
    try:
        retry_webhook_delivery(delivery_id=pk)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"Delivery {pk} queued again.")
    return redirect("web:webhooks")


def unsubscribe(request, token: str):
    """No login: the signed token names the customer. GET asks (mail
    scanners follow links), POST stops the emails."""
    customer_id = read_unsubscribe_token(token)
    customer = Customer.objects.filter(id=customer_id).first() if customer_id else None
    if customer is None:
        raise Http404("This unsubscribe link is not valid.")
    done = False
    if request.method == "POST":
        set_preference(customer_id=customer.id, channel=Channel.NONE)
        done = True
    return render(request, "web/comms/unsubscribe.html", {"customer": customer, "done": done})


@requires("notifications.manage")
@require_POST
def customer_notifications(request, code: str):
    """Staff set how a customer is told: `email` or `none`."""
    customer = Customer.objects.filter(code=code).first()
    if customer is None:
        raise Http404(f"no customer {code}")
    try:
        channel = set_preference(customer_id=customer.id,
                                 channel=request.POST.get("notifications", ""),
                                 actor_id=request.user.id)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"{customer.code}: backorder emails "
                                  f"{'on' if channel == Channel.EMAIL else 'off'}.")
    return redirect("web:customer", code=customer.code)

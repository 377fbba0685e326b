"""What each notification says: text and HTML email built from the event
and the backorder as it is now, or the reason there is nothing to send.

`compose(rows)` works on a batch (a few queries for all of it), so one
worker can send thousands a minute.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import timezone

from fillrate.backorders.models import Backorder, BackorderLine, CancelReason
from fillrate.comms.links import choice_url
from fillrate.comms.models import Channel, CustomerPreference, NotificationKind
from fillrate.comms.unsubscribe import unsubscribe_url
from fillrate.core.business import business_settings
from fillrate.core.models import Event
from fillrate.core.numbers import format_number
from fillrate.fulfilment.models import Fulfillment
from fillrate.orders.models import Credit

ACTIVE = ("open", "ready", "partially_fulfilled")
SUBJECTS = {
    NotificationKind.BACKORDER_CREATED: "{n} items from your order {order} are on backorder",
    NotificationKind.DATE_CHANGED: "New expected date for backorder {number} (order {order})",
    NotificationKind.READY: "Backorder {number} (order {order}) is ready to ship",
    NotificationKind.SHIPPED: "Backorder {number} (order {order}) has shipped",
    NotificationKind.PARTLY_SHIPPED: "Part of backorder {number} (order {order}) has shipped",
    NotificationKind.CANCELLED: "Backorder {number} (order {order}) was cancelled",
    NotificationKind.WEEKLY: "Update on backorder {number} (order {order})",
}


@dataclass
class Row:
    """A claimed notification, as `compose` needs it."""

    id: int
    kind: str
    subject: str
    event_id: int | None
    created_at: dt.datetime
    # Filled by the worker for a date change: the date the customer was
    # last told (the oldest `old` of the changes merged into this one).
    told_date: object = None


@dataclass
class Composed:
    message: EmailMultiAlternatives | None = None
    backorder_id: int | None = None
    recipient: str = ""
    skip: str = ""
    summary: str = ""
    extra: dict = field(default_factory=dict)


def _backorder_id(number: str) -> int | None:
    prefix = Backorder.PREFIX + "-"
    if not number.upper().startswith(prefix) or not number[len(prefix):].isdigit():
        return None
    return int(number[len(prefix):])


def _parse_date(value) -> dt.date | None:
    if isinstance(value, str) and value:
        return dt.date.fromisoformat(value[:10])
    return None


def _date_text(value: dt.date | None) -> str:
    return value.strftime("%A %-d %B %Y") if value else "not known yet"


def _line(line: BackorderLine, quantity: int) -> dict:
    p = line.product
    return {"sku": p.sku, "name": p.name, "variant": p.variant, "quantity": quantity,
            "unit_price": line.unit_price}


def compose(rows: list[Row]) -> dict[int, Composed]:
    """A message (or the reason for none) for each row, by row id."""
    out: dict[int, Composed] = {}
    settings_now = business_settings()
    if not settings_now.notify_customers:
        return {r.id: Composed(skip="notify_customers is off") for r in rows}
    bids = {r.id: _backorder_id(r.subject) for r in rows}
    backorders = Backorder.objects.select_related("order", "customer").in_bulk(
        [b for b in bids.values() if b])
    lines: dict[int, list[BackorderLine]] = defaultdict(list)
    for line in (BackorderLine.objects.filter(backorder_id__in=list(backorders))
                 .select_related("product").order_by("backorder_id", "id")):
        lines[line.backorder_id].append(line)
    payloads = dict(Event.objects.filter(id__in=[r.event_id for r in rows if r.event_id])
                    .values_list("id", "payload"))
    opted_out = set(CustomerPreference.objects.filter(
        customer_id__in={b.customer_id for b in backorders.values()}, channel=Channel.NONE)
        .values_list("customer_id", flat=True))
    fulfillment_ids = set()
    for p in payloads.values():
        number = p.get("fulfillment") if isinstance(p, dict) else None
        if isinstance(number, str) and number.startswith("FF-") and number[3:].isdigit():
            fulfillment_ids.add(int(number[3:]))
    fulfillments = Fulfillment.objects.in_bulk(list(fulfillment_ids))
    credits: dict[int, list[Credit]] = defaultdict(list)
    cancelled_orders = {b.order_id for r in rows if r.kind == NotificationKind.CANCELLED
                        and (b := backorders.get(bids[r.id])) is not None}
    for credit in Credit.objects.filter(order_id__in=cancelled_orders).order_by("id"):
        credits[credit.order_id].append(credit)
    context = {"fulfillments": fulfillments, "credits": credits,
               "currency": settings_now.currency}

    for r in rows:
        backorder = backorders.get(bids[r.id])
        if backorder is None:
            out[r.id] = Composed(skip=f"no backorder {r.subject}")
            continue
        payload = payloads.get(r.event_id) or {}
        composed = Composed(backorder_id=backorder.id)
        out[r.id] = composed
        customer = backorder.customer
        if r.kind == NotificationKind.CANCELLED and payload.get("notify") is False:
            composed.skip = "staff chose not to notify the customer"
        elif backorder.customer_id in opted_out:
            composed.skip = "the customer chose no notifications"
        elif not customer.email:
            composed.skip = "the customer has no email address"
        else:
            _build(composed, r, backorder, lines[backorder.id], payload, context)
    return out


def _build(composed: Composed, r: Row, backorder: Backorder, lines: list[BackorderLine],
           payload: dict, context: dict) -> None:
    fulfillments = context["fulfillments"]
    kind = r.kind
    order = backorder.order
    waiting = [_line(x, x.open_quantity) for x in lines if x.open_quantity > 0]
    by_sku = {x.product.sku: x for x in lines}
    ctx = {
        "kind": kind, "backorder": backorder, "number": backorder.number,
        "order": order.number, "customer": backorder.customer, "waiting": waiting,
        "expected": _date_text(backorder.expected_date),
        "public_url": settings.PUBLIC_URL, "currency": context["currency"],
        "unsubscribe_url": unsubscribe_url(backorder.customer_id),
    }
    if kind in (NotificationKind.DATE_CHANGED, NotificationKind.WEEKLY,
                NotificationKind.BACKORDER_CREATED, NotificationKind.READY) \
            and backorder.status not in ACTIVE:
        composed.skip = f"{backorder.number} is {backorder.status} now"
        return
    if kind == NotificationKind.DATE_CHANGED:
        told = r.told_date if r.told_date is not None else _parse_date(payload.get("old"))
        new = backorder.expected_date
        if told == new:
            composed.skip = "the expected date is back to the one the customer was told"
            return
        ctx["old_date"] = _date_text(told)
    if kind in (NotificationKind.BACKORDER_CREATED, NotificationKind.DATE_CHANGED,
                NotificationKind.WEEKLY):
        ctx["choice_url"] = choice_url(backorder.id)
    if kind == NotificationKind.WEEKLY:
        ctx["days_open"] = (timezone.now() - backorder.created_at).days
    if kind in (NotificationKind.SHIPPED, NotificationKind.PARTLY_SHIPPED):
        shipped = []
        for item in payload.get("lines") or []:
            line = by_sku.get(item.get("sku"))
            if line is not None:
                shipped.append(_line(line, int(item.get("quantity") or 0)))
        ctx["shipped"] = shipped
        number = payload.get("fulfillment") or ""
        fulfillment = fulfillments.get(int(number[3:])) if number[3:].isdigit() else None
        ctx["carrier"] = fulfillment.carrier if fulfillment else ""
        ctx["tracking"] = fulfillment.tracking_number if fulfillment else ""
        ctx["fulfillment"] = number
    if kind == NotificationKind.CANCELLED:
        cancelled = []
        for item in payload.get("lines") or []:
            line = by_sku.get(item.get("sku"))
            if line is not None:
                cancelled.append(_line(line, int(item.get("quantity") or 0)))
        ctx["cancelled"] = cancelled
        reason = payload.get("reason") or ""
        ctx["reason"] = CancelReason(reason).label if reason in CancelReason.values else reason
        ctx["notes"] = payload.get("notes") or ""
        credit = _credit_of(context["credits"][order.id], backorder.number, r)
        ctx["owed_back"] = credit.amount if credit else Decimal("0")
        ctx["credit"] = credit.number if credit else ""
    subject = SUBJECTS[kind].format(number=backorder.number, order=order.number,
                                    n=sum(x["quantity"] for x in waiting))
    text = render_to_string("comms/email/message.txt", ctx)
    html = render_to_string("comms/email/message.html", ctx)
    recipient = backorder.customer.email
    message = EmailMultiAlternatives(
        subject=subject, body=text, from_email=settings.DEFAULT_FROM_EMAIL, to=[recipient],
        headers={"List-Unsubscribe": f"<{ctx['unsubscribe_url']}>",
                 "X-Fillrate-Backorder": backorder.number})
    message.attach_alternative(html, "text/html")
    composed.message = message
    composed.recipient = recipient
    composed.summary = f"{NotificationKind(kind).label} email to {recipient}: {subject}"


def _credit_of(credits: list[Credit], number: str, r: Row) -> Credit | None:
    """The credit this cancel issued: the first one naming the backorder
    written at or after the notification's event (same transaction)."""
    for credit in credits:
        if credit.source.split(" ")[0] == number and credit.created_at >= r.created_at:
            return credit
    return None


def number_of(backorder_id: int) -> str:
    return format_number(Backorder.PREFIX, backorder_id)

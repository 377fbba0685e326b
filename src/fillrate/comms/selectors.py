"""Reads for the staff pages: the email outbox and webhook deliveries."""

from __future__ import annotations

from django.db.models import Count, Prefetch

from fillrate.comms.models import (
    DeliveryStatus,
    Notification,
    Webhook,
    WebhookAttempt,
    WebhookDelivery,
)


def outbox_counts() -> dict[str, int]:
    counts = {s: 0 for s in DeliveryStatus.values}
    for row in Notification.objects.order_by().values("status").annotate(n=Count("id")):
        counts[row["status"]] = row["n"]
    return counts


def notifications(*, status: str | None = None, limit: int = 100) -> list[Notification]:
    rows = Notification.objects.all()
    if status:
        rows = rows.filter(status=status)
    return list(rows.order_by("-id")[:limit])


def webhooks() -> list[Webhook]:
    return list(Webhook.objects.filter(deleted_at__isnull=True).prefetch_related("types"))


def webhook_deliveries(*, status: str | None = None, limit: int = 100) -> list[WebhookDelivery]:
    rows = WebhookDelivery.objects.select_related("webhook").prefetch_related(
        Prefetch("attempts_made", queryset=WebhookAttempt.objects.order_by("id")))
    if status:
        rows = rows.filter(status=status)
    return list(rows.order_by("-id")[:limit])

"""Webhooks: subscriptions, the signature, and delivery by the worker.

Every event of a subscribed type is POSTed as JSON
(`{"id", "type", "subject_type", "subject", "payload", "created_at"}`)
with the header `Fillrate-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of
"<t>.<body>" with the webhook's secret>` (the scheme of Stripe's), and
`Fillrate-Event-Id` so a receiver can drop a repeat. A 2xx answer is
delivered; anything else is tried again with backoff. Each try is logged.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import secrets
import time
import urllib.error
import urllib.request
from urllib.parse import urlparse

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from fillrate.comms import queue
from fillrate.comms.models import Webhook, WebhookAttempt, WebhookDelivery, WebhookEventType
from fillrate.core.errors import InvalidValue, NotFound
from fillrate.core.event_types import EventType
from fillrate.core.models import Event

SIGNATURE_HEADER = "Fillrate-Signature"
TIMEOUT_SECONDS = 10
MAX_URL = 500


def sign(secret: str, body: bytes, *, timestamp: int | None = None) -> str:
    t = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


def verify(secret: str, body: bytes, header: str, *, tolerance: int = 300,
           now: int | None = None) -> bool:
    """What a receiver does (docs/webhooks.md has the same in a few lines)."""
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    try:
        t = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs((int(time.time()) if now is None else now) - t) > tolerance:
        return False
    expected = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, parts.get("v1", ""))


def subscribe(*, url: str, events: list[str], secret: str | None = None) -> Webhook:
    """Raises `InvalidValue` for a URL that is not http(s), an unknown
    event type, no types, or a secret shorter than 16 characters."""
    parsed = urlparse(url or "")
    if parsed.scheme not in ("http", "https") or not parsed.netloc or len(url) > MAX_URL:
        raise InvalidValue("webhooks.invalid_url",
                           f"url must be an http or https address of at most {MAX_URL} "
                           "characters", field="url")
    if not events:
        raise InvalidValue("webhooks.no_events", "name at least one event type",
                           field="events")
    known = set(EventType)
    for i, name in enumerate(events):
        if name not in known:
            raise InvalidValue("webhooks.unknown_event",
                               f"{name!r} is not an event type (GET /events shows them)",
                               field=f"events[{i}]")
    if secret is not None and not 16 <= len(secret) <= 128:
        raise InvalidValue("webhooks.invalid_secret",
                           "secret must be 16 to 128 characters", field="secret")
    with transaction.atomic():
        hook = Webhook.objects.create(url=url, secret=secret or secrets.token_hex(24))
        WebhookEventType.objects.bulk_create(
            [WebhookEventType(webhook=hook, type=t) for t in sorted(set(events))])
    return hook


def unsubscribe(*, webhook_id: int) -> Webhook:
    with transaction.atomic():
        hook = Webhook.objects.select_for_update().filter(
            id=webhook_id, deleted_at__isnull=True).first()
        if hook is None:
            raise NotFound("webhooks.not_found", f"no webhook {webhook_id}")
        hook.deleted_at = timezone.now()
        hook.save(update_fields=["deleted_at"])
        # Deliveries not yet made are dropped with it.
        queue.skipped(WebhookDelivery, {
            pk: "the webhook was deleted" for pk in hook.deliveries.filter(
                status="queued").values_list("id", flat=True)})
    return hook


def body_of(event: Event) -> bytes:
    return json.dumps({
        "id": event.id, "type": event.type, "subject_type": event.subject_type,
        "subject": event.subject, "payload": event.payload, "created_at": event.created_at,
    }, cls=DjangoJSONEncoder, separators=(",", ":")).encode()


def _post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int | None, str]:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
            return response.status, ""
    except urllib.error.HTTPError as exc:
        return exc.code, f"HTTP {exc.code}"
    except (urllib.error.URLError, OSError, ValueError) as exc:
        return None, str(getattr(exc, "reason", exc))


def deliver_webhooks(*, limit: int, retry: queue.Retry,
                     now: dt.datetime | None = None):
    """Claim one batch of due webhook deliveries and POST each."""
    tally = queue.Tally()
    ids = queue.claim(WebhookDelivery, limit=limit, retry=retry, now=now)
    if not ids:
        return tally
    rows = list(WebhookDelivery.objects.filter(id__in=ids).select_related("webhook")
                .order_by("id"))
    events = Event.objects.in_bulk([r.event_id for r in rows])
    attempts, ok = [], []
    for row in rows:
        event = events.get(row.event_id)
        if event is None or row.webhook.deleted_at is not None:
            queue.skipped(WebhookDelivery, {row.id: "the event or the webhook is gone"})
            tally.skipped += 1
            continue
        body = body_of(event)
        started = time.monotonic()
        status, error = _post(row.webhook.url, body, {
            "Content-Type": "application/json", "User-Agent": "fillrate-webhooks",
            SIGNATURE_HEADER: sign(row.webhook.secret, body),
            "Fillrate-Event-Id": str(event.id), "Fillrate-Event-Type": event.type,
        })
        duration = int((time.monotonic() - started) * 1000)
        if status is not None and 200 <= status < 300:
            ok.append(row.id)
            error = ""
        elif not error:
            error = f"HTTP {status}"
        attempts.append((row.id, status, error, duration))
    done = now or timezone.now()
    with transaction.atomic():
        WebhookAttempt.objects.bulk_create([
            WebhookAttempt(delivery_id=pk, status_code=status, error=error, duration_ms=ms)
            for pk, status, error, ms in attempts])
        queue.delivered(WebhookDelivery, ok, now=done)
        for pk, _status, error, _ms in attempts:
            if pk in ok:
                continue
            if queue.failed(WebhookDelivery, pk, error, retry=retry, now=done):
                tally.failed += 1
            else:
                tally.retrying += 1
    tally.sent += len(ok)
    return tally

"""Claiming due deliveries under a lease, and recording what happened.

The same for emails (`Notification`) and webhooks (`WebhookDelivery`):

- `claim` takes up to `limit` due rows (queued, `available_at` passed, no
  live lease) with `SELECT ... FOR UPDATE SKIP LOCKED` on PostgreSQL, so
  workers running at once never take the same row, and sets their lease and
  try count in the same transaction. SQLite serialises writers (IMMEDIATE
  transactions), which gives the same result for one machine.
- A worker killed mid-delivery holds its rows only until the lease ends;
  then another worker (or the restarted one) claims them again.
- `failed` schedules the next try after an exponential backoff, or marks
  the row `failed` after the last try.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from fillrate.comms.models import DeliveryStatus


@dataclass(frozen=True)
class Retry:
    """How often and how patiently a delivery is tried."""

    max_attempts: int = 8
    # The wait after the n-th failed try: base * 2**(n-1), at most `cap`.
    base: dt.timedelta = dt.timedelta(seconds=30)
    cap: dt.timedelta = dt.timedelta(hours=6)
    lease: dt.timedelta = dt.timedelta(minutes=5)

    def backoff(self, attempts: int) -> dt.timedelta:
        return min(self.cap, self.base * (2 ** max(0, attempts - 1)))


def due(now: dt.datetime) -> Q:
    return (Q(status=DeliveryStatus.QUEUED, available_at__lte=now)
            & (Q(leased_until__isnull=True) | Q(leased_until__lt=now)))


def claim(model, *, limit: int, retry: Retry, now: dt.datetime | None = None) -> list[int]:
    """Lease up to `limit` due rows of `model` (oldest first) and count a
    try on each; returns their ids (committed before delivery starts)."""
    now = now or timezone.now()
    condition = due(now)
    with transaction.atomic():
        ids = list(model.objects.select_for_update(skip_locked=True, of=("self",))
                   .filter(condition).order_by("available_at", "id")
                   .values_list("id", flat=True)[:limit])
        if ids:
            model.objects.filter(id__in=ids).update(leased_until=now + retry.lease,
                                                    attempts=F("attempts") + 1)
    return ids


def delivered(model, ids: list[int], *, now: dt.datetime | None = None) -> None:
    if ids:
        model.objects.filter(id__in=ids).update(status=DeliveryStatus.SENT,
                                                delivered_at=now or timezone.now(),
                                                leased_until=None, last_error="")


def skipped(model, reasons: dict[int, str]) -> None:
    """Rows with nothing to send, each with why (`last_error`)."""
    by_reason: dict[str, list[int]] = {}
    for pk, reason in reasons.items():
        by_reason.setdefault(reason, []).append(pk)
    for reason, ids in by_reason.items():
        model.objects.filter(id__in=ids).update(status=DeliveryStatus.SKIPPED,
                                                leased_until=None, last_error=reason)


def failed(model, pk: int, error: str, *, retry: Retry,
           now: dt.datetime | None = None) -> bool:
    """Record a failed try: the next one after the backoff, or `failed`
    after the last. Returns True when the row has now failed for good."""
    now = now or timezone.now()
    row = model.objects.filter(id=pk).values("attempts").first()
    if row is None:
        return False
    if row["attempts"] >= retry.max_attempts:
        model.objects.filter(id=pk).update(status=DeliveryStatus.FAILED, leased_until=None,
                                           last_error=error[:2000])
        return True
    model.objects.filter(id=pk).update(available_at=now + retry.backoff(row["attempts"]),
                                       leased_until=None, last_error=error[:2000])
    return False


def requeue(model, pk: int) -> bool:
    """A failed (or skipped) row queued again with a fresh count of tries
    (the staff page's retry button). False when it is not failed."""
    return model.objects.filter(id=pk, status__in=[DeliveryStatus.FAILED]).update(
        status=DeliveryStatus.QUEUED, attempts=0, available_at=timezone.now(),
        leased_until=None) == 1


@dataclass
class Tally:
    sent: int = 0
    skipped: int = 0
    retrying: int = 0
    failed: int = 0

    def __iadd__(self, other: Tally) -> Tally:
        for name in ("sent", "skipped", "retrying", "failed"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        return self

    @property
    def handled(self) -> int:
        return self.sent + self.skipped + self.retrying + self.failed

"""`fillrate worker`: delivers queued emails and webhooks, and queues the
weekly update of long backorders.

Every step claims a batch under a lease (`queue.claim`), delivers outside
any transaction, then records the outcome in one transaction. Any number of
workers may run at once; one killed mid-batch loses nothing (its lease runs
out and the rows are claimed again). A message the SMTP server accepted
just before the worker died is sent again: delivery is at least once.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from django.core.mail import get_connection
from django.db import close_old_connections, connection, transaction
from django.utils import timezone

from fillrate.backorders.models import Backorder, CommunicationMethod
from fillrate.backorders.services import log_messages_sent
from fillrate.comms import emails, queue, webhooks
from fillrate.comms.models import DeliveryStatus, Notification, NotificationKind
from fillrate.core.models import Event
from fillrate.core.numbers import format_number
from fillrate.core.sql import number_sql, table

log = logging.getLogger("fillrate.worker")

WEEKLY_AFTER = dt.timedelta(days=14)
WEEKLY_EVERY = dt.timedelta(days=7)
# How often a running worker looks for backorders due a weekly update.
WEEKLY_CHECK_EVERY = dt.timedelta(hours=1)
# Seconds to wait for the SMTP server before a try counts as failed.
SMTP_TIMEOUT = 30
_WEEKLY_LOCK = 0x66696C6C  # a PostgreSQL advisory lock key: one worker queues at a time


@dataclass(frozen=True)
class Chore:
    """Other upkeep a running worker does every `every` seconds, given by
    the caller (the CLI) so this app needs no other app of its level."""

    name: str
    every: float
    run: Callable[[], int]


@dataclass
class Options:
    batch: int = 100
    retry: queue.Retry = field(default_factory=queue.Retry)
    poll: float = 1.0
    chores: Sequence[Chore] = ()


def _merge_date_changes(rows: list[emails.Row]) -> dict[int, str]:
    """Date changes of one backorder become one message. Each is due an hour
    after it happened (the outbox trigger sets `available_at`), so the
    oldest claimed one is sent, telling the date the customer was told before it; the
    other claimed ones, and queued ones not yet due, are merged into it
    (skipped, naming it). Returns the merged rows' reasons."""
    claimed = sorted((r for r in rows if r.kind == NotificationKind.DATE_CHANGED),
                     key=lambda r: r.id)
    if not claimed:
        return {}
    keeper: dict[str, emails.Row] = {}
    merged: dict[int, str] = {}
    for r in claimed:
        if r.subject in keeper:
            merged[r.id] = f"merged into notification {keeper[r.subject].id}"
        else:
            keeper[r.subject] = r
    with transaction.atomic():
        others = list(Notification.objects.select_for_update(skip_locked=True, of=("self",))
                      .filter(kind=NotificationKind.DATE_CHANGED, subject__in=list(keeper),
                              status=DeliveryStatus.QUEUED)
                      .exclude(id__in=[r.id for r in claimed]).values_list("id", "subject"))
        for pk, subject in others:
            merged[pk] = f"merged into notification {keeper[subject].id}"
        olds = dict(Event.objects.filter(id__in=[r.event_id for r in keeper.values()])
                    .values_list("id", "payload"))
        for r in keeper.values():
            r.told_date = emails._parse_date((olds.get(r.event_id) or {}).get("old"))
        queue.skipped(Notification, merged)
    return merged


def deliver_emails(options: Options, *, now: dt.datetime | None = None) -> queue.Tally:
    """Claim one batch of due emails, send them over one SMTP connection,
    and record each outcome (logged on the backorder as a communication)."""
    injected = now
    now = now or timezone.now()
    ids = queue.claim(Notification, limit=options.batch, retry=options.retry, now=now)
    tally = queue.Tally()
    if not ids:
        return tally
    rows = [emails.Row(**r) for r in Notification.objects.filter(id__in=ids).order_by("id")
            .values("id", "kind", "subject", "event_id", "created_at")]
    merged = _merge_date_changes(rows)
    composed = emails.compose([r for r in rows if r.id not in merged])

    sent: list[int] = []
    errors: dict[int, str] = {}
    skips = {pk: c.skip for pk, c in composed.items() if c.message is None}
    outgoing = [(pk, c) for pk, c in composed.items() if c.message is not None]
    if outgoing:
        smtp = get_connection(fail_silently=False, timeout=SMTP_TIMEOUT)
        lease_from = time.monotonic()
        try:
            smtp.open()
        except Exception as exc:  # noqa: BLE001 - any failure to connect is a failed try
            errors = {pk: f"could not connect to the mail server: {exc}" for pk, _ in outgoing}
            outgoing = []
        for i, (pk, c) in enumerate(outgoing):
            if time.monotonic() - lease_from > options.retry.lease.total_seconds() / 2:
                # A slow server: keep the rest of the batch ours.
                Notification.objects.filter(id__in=[p for p, _ in outgoing[i:]]).update(
                    leased_until=timezone.now() + options.retry.lease)
                lease_from = time.monotonic()
            try:
                if smtp.send_messages([c.message]) != 1:
                    raise RuntimeError("the mail server did not accept the message")
                sent.append(pk)
            except Exception as exc:  # noqa: BLE001 - recorded, retried with backoff
                errors[pk] = f"{type(exc).__name__}: {exc}"
                smtp.close()
                with contextlib.suppress(Exception):  # the next send reports it
                    smtp.open()
        smtp.close()

    done = injected or timezone.now()
    with transaction.atomic():
        queue.delivered(Notification, sent, now=done)
        queue.skipped(Notification, skips)
        recipients = [Notification(id=pk, recipient=composed[pk].recipient)
                      for pk in (*sent, *errors) if composed[pk].recipient]
        Notification.objects.bulk_update(recipients, ["recipient"], batch_size=500)
        logged = [(composed[pk].backorder_id, CommunicationMethod.EMAIL,
                   f"{composed[pk].summary} (delivery: sent)") for pk in sent]
        for pk, error in errors.items():
            if queue.failed(Notification, pk, error, retry=options.retry, now=done):
                tally.failed += 1
                if composed[pk].backorder_id:
                    logged.append((composed[pk].backorder_id, CommunicationMethod.EMAIL,
                                   f"{composed[pk].summary or 'Email'} (delivery: failed "
                                   f"after {options.retry.max_attempts} tries: {error})"))
            else:
                tally.retrying += 1
        log_messages_sent(entries=logged)
    tally.sent, tally.skipped = len(sent), len(skips) + len(merged)
    return tally


def queue_weekly_updates(*, now: dt.datetime | None = None) -> int:
    """A weekly-update email for every backorder still waiting that is
    older than 14 days and had none in the last 7 days (one INSERT ...
    SELECT on PostgreSQL, under an advisory lock so two workers do not both
    queue them). Returns how many were queued."""
    now = now or timezone.now()
    with transaction.atomic():
        if connection.vendor == "postgresql":
            number = number_sql(Backorder.PREFIX, "b.id")
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_WEEKLY_LOCK])
                cursor.execute(
                    f"INSERT INTO {table(Notification)} (kind, subject, recipient, status,"
                    f" attempts, available_at, last_error, created_at)"
                    f" SELECT %s, {number}, '', 'queued', 0, %s, '', %s FROM {table(Backorder)} b"
                    f" WHERE b.status = ANY(%s) AND b.created_at <= %s AND NOT EXISTS ("
                    f"SELECT 1 FROM {table(Notification)} n WHERE n.subject = {number}"
                    f" AND n.kind = %s AND n.created_at > %s) ORDER BY b.id",
                    [NotificationKind.WEEKLY, now, now, list(emails.ACTIVE), now - WEEKLY_AFTER,
                     NotificationKind.WEEKLY, now - WEEKLY_EVERY])
                return cursor.rowcount
        recent = set(Notification.objects.filter(
            kind=NotificationKind.WEEKLY, created_at__gt=now - WEEKLY_EVERY)
            .values_list("subject", flat=True))
        due = [format_number(Backorder.PREFIX, pk) for pk in Backorder.objects.filter(
            status__in=emails.ACTIVE, created_at__lte=now - WEEKLY_AFTER)
            .order_by("id").values_list("id", flat=True)]
        rows = [Notification(kind=NotificationKind.WEEKLY, subject=number, available_at=now,
                             created_at=now) for number in due if number not in recent]
        Notification.objects.bulk_create(rows, batch_size=1000)
    return len(rows)


def deliver_once(options: Options, *, now: dt.datetime | None = None) -> queue.Tally:
    tally = deliver_emails(options, now=now)
    tally += webhooks.deliver_webhooks(limit=options.batch, retry=options.retry, now=now)
    return tally


def run(options: Options, *, stop: threading.Event | None = None, once: bool = False,
        weekly: bool = True) -> queue.Tally:
    """Deliver until `stop` is set (or, with `once`, until nothing is due)."""
    stop = stop or threading.Event()
    total = queue.Tally()
    next_weekly = time.monotonic()
    next_chore = {chore.name: time.monotonic() for chore in options.chores}
    while not stop.is_set():
        if not connection.in_atomic_block:  # (tests run the loop inside one)
            close_old_connections()
        for chore in options.chores:
            if time.monotonic() >= next_chore[chore.name]:
                next_chore[chore.name] = time.monotonic() + chore.every
                try:
                    done = chore.run()
                except Exception:
                    if once:
                        raise
                    log.exception("%s failed; trying again in %gs", chore.name, chore.every)
                    continue
                if done:
                    log.info("%s: %d", chore.name, done)
        if weekly and time.monotonic() >= next_weekly:
            queued = queue_weekly_updates()
            if queued:
                log.info("queued %d weekly update(s)", queued)
            next_weekly = time.monotonic() + WEEKLY_CHECK_EVERY.total_seconds()
        try:
            tally = deliver_once(options)
        except Exception:
            if once:
                raise
            log.exception("delivery failed; trying again shortly")
            stop.wait(options.poll)
            continue
        total += tally
        if tally.handled:
            log.info("sent %d, skipped %d, retrying %d, failed %d", tally.sent, tally.skipped,
                     tally.retrying, tally.failed)
        elif once:
            break
        else:
            stop.wait(options.poll)
    return total

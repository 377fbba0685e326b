"""`fillrate bench notify`: 10,000 queued emails delivered by one worker.

Seeds 10,000 open backorders (the receive benchmark's set-based seed, one
order of two lines each, customers with email addresses), queues a
"backorder created" email for each in one statement, starts a local SMTP
sink in its own process (aiosmtpd, from the test extras) and times one
worker (`fillrate.comms.worker.run`, batches of 100, one SMTP connection)
until every email is delivered. Each message is rendered as text and HTML
with a signed choice link and an unsubscribe link, and logged on its
backorder as a communication. Target: at least 10,000 a minute.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

from fillrate.bench.common import BenchError, free_port, print_table, write_json

EMAILS = 10_000
TARGET_PER_MINUTE = 10_000


def _sink(port: int) -> subprocess.Popen:
    try:
        import aiosmtpd  # noqa: F401
    except ImportError:
        raise BenchError("the SMTP sink needs aiosmtpd: pip install -e '.[test]'") from None
    proc = subprocess.Popen(
        [sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{port}",
         "-c", "aiosmtpd.handlers.Sink"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    import socket

    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise BenchError("the SMTP sink did not start")


def seed(emails: int) -> None:
    from django.db import connection, transaction

    from fillrate.backorders.models import Backorder
    from fillrate.bench.receive import seed as seed_backorders
    from fillrate.comms.models import Notification
    from fillrate.core.sql import number_sql, table
    from fillrate.customers.models import Customer

    seed_backorders(orders=emails)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table(Customer)} SET email = lower(code) || '@example.com'")
        cursor.execute(
            f"INSERT INTO {table(Notification)} (kind, subject, recipient, status, attempts,"
            f" available_at, last_error, created_at)"
            f" SELECT 'backorder_created', {number_sql(Backorder.PREFIX, 'id')}, '', 'queued',"
            f" 0, now(), '', now() FROM {table(Backorder)} ORDER BY id")
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")


def run(*, output: str) -> int:
    from django.conf import settings

    from fillrate.backorders.models import Communication
    from fillrate.comms.models import Notification
    from fillrate.comms.worker import Options
    from fillrate.comms.worker import run as run_worker

    started = time.perf_counter()
    seed(EMAILS)
    seeded = time.perf_counter() - started
    port = free_port()
    sink = _sink(port)
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    try:
        started = time.perf_counter()
        tally = run_worker(Options(batch=100), once=True, weekly=False)
        elapsed = time.perf_counter() - started
    finally:
        sink.terminate()
        sink.wait(timeout=10)
    sent = Notification.objects.filter(status="sent").count()
    logged = Communication.objects.filter(method="email").count()
    per_minute = sent / elapsed * 60 if elapsed else 0.0
    data = {
        "benchmark": "notify", "cpu_count": os.cpu_count(), "queued": EMAILS,
        "seed_seconds": round(seeded, 1), "seconds": round(elapsed, 2),
        "sent": sent, "skipped": tally.skipped, "failed": tally.failed,
        "logged_communications": logged, "emails_per_minute": round(per_minute),
        "target_per_minute": TARGET_PER_MINUTE, "target_met": per_minute >= TARGET_PER_MINUTE,
    }
    print_table(f"fillrate bench notify — {EMAILS} queued emails, one worker, "
                f"{os.cpu_count()} cores", [
                    ("seed", f"{seeded:.1f} s"),
                    ("delivered", f"{sent} sent, {tally.skipped} skipped, {tally.failed} failed "
                                  f"in {elapsed:.2f} s"),
                    ("logged on backorders", logged),
                    ("rate", f"{per_minute:,.0f} emails/minute (target "
                             f"{TARGET_PER_MINUTE:,})"),
                ])
    write_json(output, data)
    if sent != EMAILS or logged != EMAILS:
        raise BenchError(f"only {sent} of {EMAILS} emails were delivered")
    return 0

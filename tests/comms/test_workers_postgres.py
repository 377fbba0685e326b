"""Several workers at once deliver every email once; a worker killed with
SIGKILL mid-delivery loses nothing (PostgreSQL: real row locks)."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter

import pytest
from django.conf import settings as django_settings
from django.db import connection

from fillrate.comms.models import Notification
from fillrate.comms.queue import Retry
from fillrate.comms.worker import Options, run
from fillrate.orders.services import LineInput
from fillrate.workflows.place_order import place_order
from tests.factories import CustomerFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def backorders_for(store, n: int) -> set[str]:
    emails = set()
    for i in range(n):
        customer = CustomerFactory(code=f"C-W{i:03d}", email=f"w{i:03d}@example.com")
        place_order(customer=customer.code, lines=[LineInput(sku="BOLT", quantity=1)])
        emails.add(customer.email)
    return emails


def test_four_workers_at_once_send_each_email_once(store, smtp):
    wanted = backorders_for(store, 60)
    assert Notification.objects.filter(status="queued").count() == 60
    options = Options(batch=4, retry=Retry(max_attempts=3, base=dt.timedelta(0)))
    start = threading.Barrier(4)
    errors = []

    def worker():
        try:
            start.wait()
            run(options, once=True, weekly=False)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    got = Counter(str(m["To"]) for m in smtp.messages)
    assert set(got) == wanted
    assert max(got.values()) == 1, [k for k, v in got.items() if v > 1]
    assert set(Notification.objects.values_list("status", flat=True)) == {"sent"}


class SlowInbox:
    """Takes a while over each message, so a worker can be killed mid-batch."""

    def __init__(self, inbox) -> None:
        self.inbox = inbox

    async def handle_DATA(self, server, session, envelope):
        await asyncio.sleep(0.05)
        return await self.inbox.handle_DATA(server, session, envelope)


def _worker(port: int, *args: str) -> subprocess.Popen:
    db = django_settings.DATABASES["default"]
    env = dict(os.environ,
               DATABASE_URL=f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST']}:"
                            f"{db['PORT']}/{db['NAME']}",
               FILLRATE_EMAIL_URL=f"smtp://127.0.0.1:{port}")
    return subprocess.Popen(
        [sys.executable, "-m", "fillrate.cli", "worker", "--batch", "10", "--lease", "2",
         "--backoff", "0.01", "--no-weekly", *args],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def test_a_worker_killed_mid_delivery_loses_nothing(store):
    from aiosmtpd.controller import Controller

    from tests.comms.conftest import Inbox, free_port

    wanted = backorders_for(store, 40)
    inbox = Inbox()
    handler = SlowInbox(inbox)
    handler.handle_RCPT = inbox.handle_RCPT
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        first = _worker(port)
        deadline = time.monotonic() + 60
        while len(inbox.messages) < 5 and time.monotonic() < deadline:
            time.sleep(0.02)
        first.send_signal(signal.SIGKILL)
        first.wait()
        before = len(inbox.messages)
        assert 5 <= before < 40, "the worker was not killed mid-delivery"
        assert Notification.objects.exclude(status="sent").exists()
        time.sleep(2.2)  # the dead worker's lease runs out
        second = _worker(port, "--once")
        out, _ = second.communicate(timeout=120)
        assert second.returncode == 0, out
    finally:
        controller.stop()
    got = Counter(str(m["To"]) for m in inbox.messages)
    assert set(got) == wanted  # everything delivered after the restart
    assert set(Notification.objects.values_list("status", flat=True)) == {"sent"}
    # at least once: only what the dead worker was holding can come twice
    assert sum(got.values()) - len(wanted) <= 10

"""Webhooks: subscribed events POSTed by the worker to a real local HTTP
server that checks the signature; failures retried with backoff and each
try logged."""

from __future__ import annotations

import datetime as dt
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from fillrate.comms.models import WebhookAttempt, WebhookDelivery
from fillrate.comms.queue import Retry
from fillrate.comms.webhooks import SIGNATURE_HEADER, deliver_webhooks, sign, verify
from fillrate.orders.services import LineInput
from fillrate.workflows.place_order import place_order
from tests.helpers import assert_error

pytestmark = pytest.mark.django_db
SECRET = "a-test-secret-of-some-length"
NOW = Retry(max_attempts=3, base=dt.timedelta(0))


class Receiver:
    """A local HTTP server; `answers` is the status to give each POST in turn."""

    def __init__(self, answers=None) -> None:
        self.received: list[dict] = []
        self.answers = list(answers or [])
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append({"body": body, "headers": dict(self.headers)})
                status = receiver.answers.pop(0) if receiver.answers else 200
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    made = []

    def make(answers=None) -> Receiver:
        made.append(Receiver(answers))
        return made[-1]

    yield make
    for r in made:
        r.close()


def test_signature_round_trip_and_tampering():
    body = b'{"id":1}'
    header = sign(SECRET, body, timestamp=1_700_000_000)
    assert verify(SECRET, body, header, now=1_700_000_010)
    assert not verify(SECRET, body + b" ", header, now=1_700_000_010)
    assert not verify("another-secret-entirely", body, header, now=1_700_000_010)
    assert not verify(SECRET, body, header, now=1_700_000_000 + 301)  # too old: a replay


def test_subscribed_events_arrive_signed_with_their_id(api, store, receiver):
    r = receiver()
    created = api.post("/api/v1/webhooks", {"url": r.url, "events": ["BackorderOpened"],
                                            "secret": SECRET})
    assert created.status_code == 201, created.content
    assert created.json()["secret"] == SECRET
    placed = place_order(customer="C-ACME", lines=[LineInput(sku="BOLT", quantity=3)])
    assert deliver_webhooks(limit=10, retry=NOW).sent == 1
    [got] = r.received
    assert verify(SECRET, got["body"], got["headers"][SIGNATURE_HEADER])
    event = json.loads(got["body"])
    assert event["type"] == "BackorderOpened"
    assert event["subject"] == placed.backorders[0].number
    assert got["headers"]["Fillrate-Event-Id"] == str(event["id"])
    # only subscribed types: OrderPlaced went nowhere
    assert WebhookDelivery.objects.count() == 1
    [attempt] = WebhookAttempt.objects.all()
    assert attempt.status_code == 200


def test_a_failing_receiver_is_retried_then_failed_with_every_try_logged(api, store, receiver):
    r = receiver(answers=[500, 503, 500])
    api.post("/api/v1/webhooks", {"url": r.url, "events": ["OrderPlaced"]})
    place_order(customer="C-ACME", lines=[LineInput(sku="WIDGET", quantity=1)])
    assert deliver_webhooks(limit=10, retry=NOW).retrying == 1
    assert deliver_webhooks(limit=10, retry=NOW).retrying == 1
    assert deliver_webhooks(limit=10, retry=NOW).failed == 1
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts) == ("failed", 3)
    assert list(WebhookAttempt.objects.values_list("status_code", flat=True)) == [500, 503, 500]
    assert len(r.received) == 3


def test_backoff_between_tries(api, store, receiver):
    r = receiver(answers=[500])
    api.post("/api/v1/webhooks", {"url": r.url, "events": ["OrderPlaced"]})
    place_order(customer="C-ACME", lines=[LineInput(sku="WIDGET", quantity=1)])
    slow = Retry(max_attempts=3, base=dt.timedelta(minutes=5))
    deliver_webhooks(limit=10, retry=slow)
    assert deliver_webhooks(limit=10, retry=slow).handled == 0
    later = WebhookDelivery.objects.get().available_at + dt.timedelta(seconds=1)
    assert deliver_webhooks(limit=10, retry=slow, now=later).sent == 1


def test_list_and_delete(api, store):
    hook = api.post("/api/v1/webhooks", {"url": "https://example.com/h",
                                         "events": ["OrderPlaced"]}).json()
    listed = api.get("/api/v1/webhooks").json()
    assert [h["id"] for h in listed["items"]] == [hook["id"]]
    assert "secret" not in listed["items"][0]
    assert api.client.delete(f"/api/v1/webhooks/{hook['id']}",
                             headers={"Authorization": f"Bearer {api.token}"}).status_code == 200
    assert api.get("/api/v1/webhooks").json()["count"] == 0
    place_order(customer="C-ACME", lines=[LineInput(sku="WIDGET", quantity=1)])
    assert not WebhookDelivery.objects.exists()
    gone = api.client.delete(f"/api/v1/webhooks/{hook['id']}",
                             headers={"Authorization": f"Bearer {api.token}"})
    assert_error(gone, 404, "webhooks.not_found")


@pytest.mark.parametrize(("body", "code", "field"), [
    ({"url": "ftp://example.com/h", "events": ["OrderPlaced"]}, "webhooks.invalid_url", "url"),
    ({"url": "https://example.com/h", "events": []}, "webhooks.no_events", "events"),
    ({"url": "https://example.com/h", "events": ["OrderPlased"]}, "webhooks.unknown_event",
     "events[0]"),
    ({"url": "https://example.com/h", "events": ["OrderPlaced"], "secret": "short"},
     "webhooks.invalid_secret", "secret"),
])
def test_bad_subscriptions_are_refused_and_change_nothing(api, body, code, field):
    assert_error(api.post("/api/v1/webhooks", body), 422, code, field)
    assert api.get("/api/v1/webhooks").json()["count"] == 0


def test_notification_preference_by_api(api, make_api, store):
    from fillrate.accounts.permissions import Role

    url = "/api/v1/notification-preferences/C-ACME"
    assert api.get(url).json() == {"customer": "C-ACME", "notifications": "email"}
    changed = api.client.put(url, '{"notifications": "none"}', content_type="application/json",
                             headers={"Authorization": f"Bearer {api.token}"})
    assert changed.json() == {"customer": "C-ACME", "notifications": "none"}
    bad = api.client.put(url, '{"notifications": "sms"}', content_type="application/json",
                         headers={"Authorization": f"Bearer {api.token}"})
    assert_error(bad, 422, "notifications.invalid_channel", "notifications")
    assert api.get(url).json()["notifications"] == "none"
    warehouse = make_api(Role.WAREHOUSE)
    refused = warehouse.client.put(url, '{"notifications": "email"}',
                                   content_type="application/json",
                                   headers={"Authorization": f"Bearer {warehouse.token}"})
    assert refused.status_code == 403

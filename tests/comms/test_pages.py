"""The staff pages (outbox with retry, webhooks), the public unsubscribe
link, and the cancel dialog's "Notify the customer" box."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from fillrate.accounts.permissions import Role
from fillrate.comms.models import CustomerPreference, Notification, WebhookDelivery
from fillrate.comms.queue import Retry
from fillrate.comms.unsubscribe import unsubscribe_token
from fillrate.comms.webhooks import subscribe
from fillrate.comms.worker import Options, deliver_emails, run
from fillrate.orders.services import LineInput
from fillrate.workflows.place_order import place_order

pytestmark = pytest.mark.django_db
FAST = Options(batch=50, retry=Retry(max_attempts=1, base=dt.timedelta(0)))


def test_a_failed_email_shows_on_the_outbox_and_retry_sends_it(store, smtp, admin_web):
    smtp.refuse.add("c-acme@example.com")
    place_order(customer="C-ACME", lines=[LineInput(sku="BOLT", quantity=2)])
    assert deliver_emails(FAST).failed == 1
    note = Notification.objects.get()
    page = admin_web.get(reverse("web:outbox"), {"status": "failed"})
    assert page.status_code == 200
    assert b"550" in page.content and reverse("web:outbox_retry", args=[note.id]).encode() \
        in page.content
    smtp.refuse.clear()
    response = admin_web.post(reverse("web:outbox_retry", args=[note.id]))
    assert response.status_code == 302
    assert run(FAST, once=True, weekly=False).sent == 1
    assert len(smtp.to("c-acme@example.com")) == 1
    note.refresh_from_db()
    assert (note.status, note.attempts) == ("sent", 1)
    # a sent one is not retried
    admin_web.post(reverse("web:outbox_retry", args=[note.id]))
    note.refresh_from_db()
    assert note.status == "sent"


def test_the_warehouse_role_reads_the_outbox_but_does_not_retry(login):
    # every role may read (the permission matrix); retrying is notifications.manage
    web = login(Role.WAREHOUSE)
    assert web.get(reverse("web:outbox")).status_code == 200
    assert web.post(reverse("web:outbox_retry", args=[1])).status_code == 403


def test_webhook_page_shows_deliveries_and_their_tries(store, admin_web):
    subscribe(url="http://127.0.0.1:9/nothing-listens", events=["OrderPlaced"])
    place_order(customer="C-ACME", lines=[LineInput(sku="WIDGET", quantity=1)])
    run(FAST, once=True, weekly=False)
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "failed"
    page = admin_web.get(reverse("web:webhooks"))
    assert b"no answer" in page.content and b"http://127.0.0.1:9/nothing-listens" in page.content
    admin_web.post(reverse("web:webhook_retry", args=[delivery.id]))
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("queued", 0)


def test_unsubscribe_works_without_logging_in(store, smtp):
    client = Client(enforce_csrf_checks=True)
    url = reverse("web:unsubscribe", args=[unsubscribe_token(store.customer.id)])
    page = client.get(url)
    assert page.status_code == 200 and b"Stop these emails" in page.content
    token = page.cookies["csrftoken"].value
    done = client.post(url, {"csrfmiddlewaretoken": token})
    assert b"no more emails" in done.content
    assert CustomerPreference.objects.get(customer=store.customer).channel == "none"
    place_order(customer="C-ACME", lines=[LineInput(sku="BOLT", quantity=2)])
    run(FAST, once=True, weekly=False)
    assert smtp.messages == []


def test_a_tampered_unsubscribe_link_is_a_plain_404(store, client):
    url = reverse("web:unsubscribe", args=[unsubscribe_token(store.customer.id) + "x"])
    assert client.get(url).status_code == 404
    assert not CustomerPreference.objects.exists()


@pytest.mark.parametrize("box", [True, False])
def test_the_cancel_dialogs_notify_box_decides(store, smtp, admin_web, box):
    placed = place_order(customer="C-ACME", lines=[LineInput(sku="BOLT", quantity=2)])
    number = placed.backorders[0].number
    form = {"reason": "excessive_delay", "notes": ""}
    if box:
        form["notify"] = "on"
    response = admin_web.post(reverse("web:backorder_cancel", args=[number]), form)
    assert response.status_code in (200, 302)
    run(FAST, once=True, weekly=False)
    cancel_emails = [m for m in smtp.messages if "cancelled" in m["Subject"]]
    assert len(cancel_emails) == (1 if box else 0)


def test_staff_turn_a_customers_emails_off_and_on(store, admin_web, login):
    page = admin_web.get(reverse("web:customer", args=["C-ACME"]))
    assert b"Stop emailing them" in page.content
    admin_web.post(reverse("web:customer_notifications", args=["C-ACME"]),
                   {"notifications": "none"})
    assert CustomerPreference.objects.get(customer=store.customer).channel == "none"
    page = admin_web.get(reverse("web:customer", args=["C-ACME"]))
    assert b"none (the customer is not emailed)" in page.content
    admin_web.post(reverse("web:customer_notifications", args=["C-ACME"]),
                   {"notifications": "sms"})
    assert CustomerPreference.objects.get(customer=store.customer).channel == "none"
    refused = login(Role.WAREHOUSE).post(
        reverse("web:customer_notifications", args=["C-ACME"]), {"notifications": "email"})
    assert refused.status_code == 403
    assert CustomerPreference.objects.get(customer=store.customer).channel == "none"

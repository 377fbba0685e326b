"""Emails from events: queued by the trigger in the event's transaction,
delivered by the worker to a real SMTP server, logged on the backorder."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction
from django.utils import timezone

from fillrate.backorders.models import Backorder, Communication
from fillrate.comms.models import CustomerPreference, Notification
from fillrate.comms.queue import Retry
from fillrate.comms.worker import Options, deliver_emails, queue_weekly_updates, run
from fillrate.core.business import change_settings
from fillrate.orders.services import LineInput
from fillrate.workflows.cancel_backorder import cancel_backorder_and_feed
from fillrate.workflows.place_order import place_order

pytestmark = pytest.mark.django_db

FAST = Options(batch=50, retry=Retry(max_attempts=3, base=dt.timedelta(seconds=0)))


def backordered(store, quantity: int = 4) -> Backorder:
    placed = place_order(customer="C-ACME", lines=[LineInput(sku="BOLT", quantity=quantity),
                                                   LineInput(sku="WIDGET", quantity=2)])
    return placed.backorders[0]


def test_backorder_opened_queues_an_email_in_its_transaction(store):
    with transaction.atomic():
        backorder = backordered(store)
        queued = list(Notification.objects.values_list("kind", "subject", "status"))
        assert queued == [("backorder_created", backorder.number, "queued")]
        transaction.set_rollback(True)
    assert not Notification.objects.exists()


def test_backorder_created_email_arrives_with_lines_date_and_options(store, smtp, settings):
    settings.PUBLIC_URL = "https://shop.example.com"
    backorder = backordered(store)
    tally = run(FAST, once=True, weekly=False)
    assert tally.sent == 1
    [message] = smtp.to("c-acme@example.com")
    order = backorder.order.number
    assert order in message["Subject"]
    text, html = smtp.text(message), smtp.html(message)
    assert "4 x " in text and "[BOLT]" in text
    assert "WIDGET" not in text  # it was in stock: only what waits is listed
    assert "Expected: not known yet" in text
    assert "https://shop.example.com/choice/" in text
    assert "?option=partial" in html and "https://shop.example.com/choice/" in html
    assert "https://shop.example.com/notifications/unsubscribe/" in text
    assert str(message["List-Unsubscribe"]).strip().startswith("<https://shop.example.com/")
    note = Notification.objects.get()
    assert (note.status, note.recipient, note.attempts) == ("sent", "c-acme@example.com", 1)
    [logged] = Communication.objects.filter(backorder_id=backorder.id)
    assert logged.method == "email"
    assert "delivery: sent" in logged.summary and "c-acme@example.com" in logged.summary


def test_notify_customers_off_sends_nothing(store, smtp):
    change_settings(changes={"notify_customers": False})
    backordered(store)
    tally = run(FAST, once=True, weekly=False)
    assert (tally.sent, tally.skipped) == (0, 1)
    assert smtp.messages == []
    assert Notification.objects.get().last_error == "notify_customers is off"


def test_a_customer_who_chose_none_gets_nothing(store, smtp):
    CustomerPreference.objects.create(customer=store.customer, channel="none")
    backordered(store)
    run(FAST, once=True, weekly=False)
    assert smtp.messages == []
    assert Notification.objects.get().status == "skipped"


def test_cancel_without_notify_sends_no_cancel_email(store, smtp):
    backorder = backordered(store)
    run(FAST, once=True, weekly=False)
    cancel_backorder_and_feed(number=backorder.number, reason="product_discontinued",
                              notify=False)
    run(FAST, once=True, weekly=False)
    assert len(smtp.messages) == 1  # the backorder email only
    cancel = Notification.objects.get(kind="cancelled")
    assert (cancel.status, cancel.last_error) == ("skipped",
                                                  "staff chose not to notify the customer")


def test_cancel_with_notify_tells_reason_and_what_was_cancelled(store, smtp):
    backorder = backordered(store)
    cancel_backorder_and_feed(number=backorder.number, reason="product_discontinued",
                              notes="The maker stopped making them.", notify=True)
    run(FAST, once=True, weekly=False)
    [message] = [m for m in smtp.messages if "cancelled" in m["Subject"]]
    text = smtp.text(message)
    assert "Product discontinued" in text and "The maker stopped making them." in text
    assert "4 x " in text and "[BOLT]" in text
    assert "Money owed back to you: none" in text


def test_a_refused_message_is_retried_then_failed_and_logged(store, smtp):
    smtp.refuse.add("c-acme@example.com")
    backorder = backordered(store)
    retry = Options(batch=10, retry=Retry(max_attempts=2, base=dt.timedelta(0)))
    first = deliver_emails(retry)
    assert (first.sent, first.retrying) == (0, 1)
    note = Notification.objects.get()
    assert (note.status, note.attempts) == ("queued", 1)
    second = deliver_emails(retry)
    assert second.failed == 1
    note.refresh_from_db()
    assert note.status == "failed" and "550" in note.last_error
    [logged] = Communication.objects.filter(backorder_id=backorder.id)
    assert "failed after 2 tries" in logged.summary


def test_backoff_waits_before_the_next_try(store, smtp):
    smtp.refuse.add("c-acme@example.com")
    backordered(store)
    slow = Options(batch=10, retry=Retry(max_attempts=5, base=dt.timedelta(minutes=10)))
    deliver_emails(slow)
    assert deliver_emails(slow).handled == 0  # not due for ten minutes
    later = timezone.now() + dt.timedelta(minutes=11)
    assert deliver_emails(slow, now=later).retrying == 1
    note = Notification.objects.get()
    # second failure: twice the wait
    assert note.available_at - later >= dt.timedelta(minutes=19)


def test_date_changes_within_the_hold_become_one_message(store, smtp):
    from fillrate.backorders.services import update_backorder

    backorder = backordered(store)
    run(FAST, once=True, weekly=False)
    first = dt.date.today() + dt.timedelta(days=10)
    for days in (10, 12, 15):
        update_backorder(number=backorder.number,
                         changes={"expected_date": dt.date.today() + dt.timedelta(days=days)})
    assert deliver_emails(FAST).handled == 0  # held for the hour
    tally = deliver_emails(FAST, now=timezone.now() + dt.timedelta(hours=1, minutes=1))
    assert (tally.sent, tally.skipped) == (1, 2)
    [message] = [m for m in smtp.messages if "expected date" in m["Subject"]]
    text = smtp.text(message)
    final = dt.date.today() + dt.timedelta(days=15)
    assert "it was not known yet" in text and final.strftime("%-d %B %Y") in text
    assert first.strftime("%A %-d %B") not in text


def test_weekly_update_for_backorders_open_more_than_14_days(store, smtp):
    old = backordered(store)
    Backorder.objects.filter(id=old.id).update(
        created_at=timezone.now() - dt.timedelta(days=15))
    assert queue_weekly_updates() == 1
    assert queue_weekly_updates() == 0  # one a week
    run(FAST, once=True, weekly=False)
    [weekly] = [m for m in smtp.messages if "Update on" in m["Subject"]]
    assert "open for 15 days" in smtp.text(weekly)
    assert queue_weekly_updates(now=timezone.now() + dt.timedelta(days=8)) == 1


def test_the_cancel_email_of_a_paid_backorder_tells_the_money_owed_back(store, smtp):
    from fillrate.orders.models import Credit
    from fillrate.workflows.payments import pay_order

    change_settings(changes={"charge_backorders_on_shipment": False})  # paid up front
    backorder = backordered(store)  # 4 BOLT at 1.50 on backorder, 2 WIDGET at 4.00 in stock
    pay_order(number=backorder.order.number)
    cancel_backorder_and_feed(number=backorder.number, reason="customer_requested", notify=True)
    credit = Credit.objects.get()
    assert credit.amount == 6
    run(FAST, once=True, weekly=False)
    [message] = [m for m in smtp.messages if "cancelled" in m["Subject"]]
    text = smtp.text(message)
    assert f"Money owed back to you: 6.00 USD (credit note {credit.number})" in text
    assert "Customer requested" in text


def _kinds(smtp, word: str) -> list:
    return [m for m in smtp.messages if word in m["Subject"]]


def test_ready_then_partly_shipped_then_shipped(store, smtp, pick_location):
    from fillrate.workflows.adjust_stock import adjust_stock_and_feed
    from fillrate.workflows.dispatch import dispatch_fulfillment
    from fillrate.workflows.fulfil import FulfilLine, fulfil_backorder

    backorder = backordered(store)  # 4 BOLT waiting
    adjust_stock_and_feed(product_id=store.bolt.id, location_id=pick_location.id, quantity=4,
                          reason="found")
    run(FAST, once=True, weekly=False)
    [ready] = _kinds(smtp, "is ready to ship")
    assert "4 x " in smtp.text(ready) and "[BOLT]" in smtp.text(ready)

    first = fulfil_backorder(number=backorder.number, lines=[FulfilLine(sku="BOLT", quantity=3)])
    dispatch_fulfillment(number=first.number, carrier="DHL", tracking_number="JD014600")
    run(FAST, once=True, weekly=False)
    [partly] = _kinds(smtp, "Part of backorder")
    text = smtp.text(partly)
    assert "Carrier: DHL" in text and "Tracking: JD014600" in text
    assert "Shipped (" + first.number + "):\n  3 x " in text
    assert "Still to come:\n  1 x " in text

    rest = fulfil_backorder(number=backorder.number)
    dispatch_fulfillment(number=rest.number, carrier="UPS", tracking_number="1Z999")
    run(FAST, once=True, weekly=False)
    [shipped] = [m for m in _kinds(smtp, "has shipped") if not m["Subject"].startswith("Part")]
    text = smtp.text(shipped)
    assert "UPS" in text and "1Z999" in text and "1 x " in text
    assert "this backorder is complete" in text
    assert "1Z999" in smtp.html(shipped)
    logged = Communication.objects.filter(backorder_id=backorder.id, method="email")
    assert logged.count() == 4  # created, ready, partly shipped, shipped


def test_a_date_back_where_it_was_sends_nothing(store, smtp):
    from fillrate.backorders.services import update_backorder

    backorder = backordered(store)
    run(FAST, once=True, weekly=False)
    later = dt.date.today() + dt.timedelta(days=9)
    update_backorder(number=backorder.number, changes={"expected_date": later})
    update_backorder(number=backorder.number, changes={"expected_date": None})
    tally = deliver_emails(FAST, now=timezone.now() + dt.timedelta(hours=2))
    assert (tally.sent, tally.skipped) == (0, 2)
    assert not _kinds(smtp, "expected date")


def test_the_trigger_names_only_event_types_that_exist():
    import importlib
    import re

    from fillrate.core.event_types import EventType

    trigger = importlib.import_module("fillrate.comms.migrations.0002_notify_outbox_trigger")
    named = set(re.findall(r"'([A-Z][A-Za-z]+)'", trigger.KIND + trigger.WANTED))
    assert named
    assert named <= {t.value for t in EventType}


def test_stock_that_readies_many_backorders_queues_their_emails_in_its_transaction(
        store, pick_location):
    from fillrate.workflows.adjust_stock import adjust_stock_and_feed
    from tests.factories import CustomerFactory

    numbers = set()
    for i in range(5):
        customer = CustomerFactory(code=f"C-R{i}")
        placed = place_order(customer=customer.code, lines=[LineInput(sku="BOLT", quantity=2)])
        numbers.add(placed.backorders[0].number)
    with transaction.atomic():
        adjust_stock_and_feed(product_id=store.bolt.id, location_id=pick_location.id,
                              quantity=10, reason="found")
        ready = set(Notification.objects.filter(kind="ready").values_list("subject", flat=True))
        assert ready == numbers
        transaction.set_rollback(True)
    assert not Notification.objects.filter(kind="ready").exists()


def test_a_failing_chore_is_logged_and_tried_again_later(store, caplog):
    from fillrate.comms.worker import Chore

    calls = []

    def chore():
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("no database")
        return 3

    caplog.set_level("INFO", logger="fillrate.worker")
    options = Options(poll=0.01, chores=[Chore("tidy", 0, chore)])
    with pytest.raises(RuntimeError):
        run(options, once=True, weekly=False)  # with --once a failure surfaces
    run(options, once=True, weekly=False)
    assert len(calls) == 2
    assert "tidy: 3" in caplog.text

"""Promises after a receipt. On PostgreSQL a receipt of a product's earliest
open purchase-order line whose stock all went to waiting lines shifts the
promises (`repromise_after_receipt`) instead of rebuilding them; every other
case is rebuilt. Either way the result is what a fresh plan gives (the
invariant check after each test compares the stored promises and dates with
one), and these tests pin the figures and which way each product went."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection

from fillrate.backorders import promises
from fillrate.backorders.models import Backorder, Promise
from fillrate.core.models import Event
from fillrate.purchasing.services import PurchaseLineInput
from fillrate.workflows.invariants import promise_problems
from fillrate.workflows.purchase_orders import create_purchase_order
from fillrate.workflows.receive import ReceiptLineInput, receive_purchase_order
from tests.factories import CustomerFactory, ProductFactory
from tests.orders.support import place

D1, D2, D3 = dt.date(2030, 1, 10), dt.date(2030, 1, 20), dt.date(2030, 2, 5)


@pytest.fixture
def queue(buying):
    """Three backorders for GADGET (no stock), oldest first: OLD 4, MID 3, NEW 2."""
    CustomerFactory(code="C-VIP", vip=True)
    numbers = [place(c, ("GADGET", q)).backorders[0].number
               for c, q in (("C-ACME", 4), ("C-VIP", 3), ("C-ACME", 2))]
    return dict(zip(("OLD", "MID", "NEW"), numbers, strict=True))


@pytest.fixture
def rebuilt(monkeypatch):
    """The products each receipt rebuilt in full (the rest were shifted)."""
    calls: list[list[int]] = []
    real = promises.repromise_set_based

    def spy(ids, *args, **kwargs):
        calls.append(sorted(ids))
        return real(ids, *args, **kwargs)

    monkeypatch.setattr(promises, "repromise_set_based", spy)
    return calls


def buy(date, *lines):
    return create_purchase_order(supplier="ACME-SUP", expected_date=date,
                                 lines=[PurchaseLineInput(s, q) for s, q in lines]).number


def receive(number, *lines, **kwargs):
    return receive_purchase_order(number=number,
                                  lines=[ReceiptLineInput(s, q) for s, q in lines], **kwargs)


def stored(queue):
    """(backorder key, purchase order, quantity) of every stored promise."""
    key = {int(n[3:]): k for k, n in queue.items()}
    return sorted((key[p.backorder_line.backorder_id],
                   p.purchase_order_line.purchase_order.number, p.quantity)
                  for p in Promise.objects.select_related("backorder_line",
                                                          "purchase_order_line__purchase_order"))


def dates(queue):
    by_id = {b.id: b for b in Backorder.objects.all()}
    return {k: by_id[int(n[3:])].expected_date for k, n in queue.items()}


def shifted_on_postgresql(rebuilt, product) -> None:
    if connection.vendor == "postgresql":
        assert all(product.id not in ids for ids in rebuilt)


def test_receiving_the_earliest_order_takes_the_fed_units_off_the_front(queue, rebuilt,
                                                                        buying):
    first, second = buy(D1, ("GADGET", 5)), buy(D2, ("GADGET", 10))
    assert stored(queue) == [("MID", first, 1), ("MID", second, 2), ("NEW", second, 2),
                             ("OLD", first, 4)]
    fed = receive(first, ("GADGET", 5)).allocations
    assert [(f.backorder, f.quantity) for f in fed] == [(queue["OLD"], 4), (queue["MID"], 1)]
    shifted_on_postgresql(rebuilt, buying.gadget)
    # OLD is ready; MID's unit from the first order came; the rest is unchanged.
    assert stored(queue) == [("MID", second, 2), ("NEW", second, 2)]
    assert dates(queue) == {"OLD": D1, "MID": D2, "NEW": D2}
    assert promise_problems() == []


def test_a_partly_received_line_keeps_what_it_still_promises(queue, rebuilt, buying):
    first, second = buy(D1, ("GADGET", 6)), buy(D2, ("GADGET", 10))
    assert stored(queue) == [("MID", first, 2), ("MID", second, 1), ("NEW", second, 2),
                             ("OLD", first, 4)]
    receive(first, ("GADGET", 5))  # 1 of the first order still to come
    shifted_on_postgresql(rebuilt, buying.gadget)
    assert stored(queue) == [("MID", first, 1), ("MID", second, 1), ("NEW", second, 2)]
    assert dates(queue) == {"OLD": D1, "MID": D2, "NEW": D2}


def test_receiving_a_later_order_first_rebuilds_the_promises(queue, rebuilt, buying):
    first, second = buy(D1, ("GADGET", 5)), buy(D2, ("GADGET", 10))
    before = Event.objects.order_by("id").last().id
    receive(second, ("GADGET", 4))  # goes to OLD; the first order is still due first
    if connection.vendor == "postgresql":
        assert rebuilt == [[buying.gadget.id]]
    assert stored(queue) == [("MID", first, 3), ("NEW", first, 2)]
    assert dates(queue) == {"OLD": D1, "MID": D1, "NEW": D1}
    moved = Event.objects.filter(type="BackorderExpectedDateChanged", id__gt=before,
                                 payload__cause=second).values_list("subject", flat=True)
    assert sorted(moved) == [queue["MID"], queue["NEW"]]


def test_an_over_receipt_that_feeds_everyone_leaves_no_promise(queue, buying):
    first, _ = buy(D1, ("GADGET", 5)), buy(D2, ("GADGET", 10))
    receive(first, ("GADGET", 12), allow_over_receipt=True)  # 9 wait
    assert not Promise.objects.exists()
    assert {b.status for b in Backorder.objects.all()} == {"ready"}


def test_a_backorder_still_waiting_takes_the_date_of_the_lines_left(buying, rebuilt):
    """A backorder waits for GADGET (due D3) and BOLT (due D1): D3. Once the
    GADGET arrives it waits only for BOLT: D1, with one event."""
    bolt = ProductFactory(sku="BOLT")
    number = place("C-ACME", ("GADGET", 2), ("BOLT", 3)).backorders[0].number
    late = buy(D3, ("GADGET", 2))
    buy(D1, ("BOLT", 3))
    backorder = Backorder.objects.get(id=int(number[3:]))
    assert backorder.expected_date == D3

    receive(late, ("GADGET", 2))
    shifted_on_postgresql(rebuilt, buying.gadget)
    backorder.refresh_from_db()
    assert (backorder.status, backorder.expected_date) == ("open", D1)
    event = Event.objects.filter(type="BackorderExpectedDateChanged", subject=number).last()
    assert (event.payload["old"], event.payload["new"], event.payload["cause"]) == (
        D3.isoformat(), D1.isoformat(), late)
    assert Promise.objects.get().product_id == bolt.id


def test_one_receipt_can_shift_one_product_and_rebuild_another(buying, rebuilt):
    bolt = ProductFactory(sku="BOLT")
    place("C-ACME", ("GADGET", 2), ("BOLT", 3))
    early_bolt = buy(D1, ("BOLT", 1))
    both = buy(D2, ("GADGET", 2), ("BOLT", 5))
    receive(both, ("GADGET", 2), ("BOLT", 2))  # BOLT's first order is still open
    if connection.vendor == "postgresql":
        assert rebuilt == [[bolt.id]]
    assert sorted(Promise.objects.values_list("purchase_order_line__purchase_order_id",
                                              "quantity")) == [(int(early_bolt[3:]), 1)]


def test_cancelling_the_latest_line_brings_the_backorder_date_forward(buying):
    from fillrate.backorders.services import CancelLine
    from fillrate.workflows.cancel_backorder import cancel_backorder_and_feed

    ProductFactory(sku="BOLT")
    number = place("C-ACME", ("GADGET", 2), ("BOLT", 3)).backorders[0].number
    buy(D3, ("GADGET", 2))
    buy(D1, ("BOLT", 3))
    cancel_backorder_and_feed(number=number, reason="customer_requested",
                              lines=[CancelLine("GADGET")])
    backorder = Backorder.objects.get(id=int(number[3:]))
    assert (backorder.status, backorder.expected_date) == ("open", D1)

"""Promises: open purchase-order quantity is promised to waiting backorder
lines, earliest purchase order to the line the allocation policy puts first;
expected dates follow purchase-order changes with one event per backorder
whose date moved; a date set by hand wins until cleared."""

from __future__ import annotations

import datetime as dt

import pytest

from fillrate.backorders.models import Backorder, BackorderLine, Promise
from fillrate.backorders.promises import (
    PlannedPromise,
    Supply,
    backorder_date,
    line_date,
    plan_promises,
)
from fillrate.backorders.ranking import WaitingLine
from fillrate.backorders.services import update_backorder
from fillrate.core.business import change_settings
from fillrate.core.models import Event
from fillrate.purchasing.services import PurchaseLineInput
from fillrate.workflows.purchase_orders import (
    create_purchase_order,
    order_purchase_order,
    update_purchase_order,
)
from fillrate.workflows.receive import ReceiptLineInput, receive_purchase_order
from tests.factories import CustomerFactory
from tests.orders.support import place

D1, D2, D3 = dt.date(2030, 1, 10), dt.date(2030, 1, 20), dt.date(2030, 2, 5)
POS = "/api/v1/purchase-orders"


# -- the pure plan ---------------------------------------------------------------


def waiting(line_id, qty, product=1):
    return WaitingLine(line_id=line_id, backorder_id=line_id, product_id=product, waiting=qty,
                       created_at=dt.datetime(2030, 1, 1, tzinfo=dt.UTC))


def test_the_earliest_supply_goes_to_the_first_line_whatever_order_it_comes_in():
    supply = [Supply(12, 2, 1, 5, D2), Supply(11, 1, 1, 3, D1), Supply(13, 3, 2, 9, D1)]
    plan = plan_promises([waiting(1, 2), waiting(2, 4), waiting(3, 5)], supply)
    assert plan == [PlannedPromise(1, 11, 2, D1), PlannedPromise(2, 11, 1, D1),
                    PlannedPromise(2, 12, 3, D2), PlannedPromise(3, 12, 2, D2)]


def test_a_line_date_needs_every_waiting_unit_promised_and_a_backorder_every_line():
    assert line_date(4, [PlannedPromise(2, 11, 1, D1), PlannedPromise(2, 12, 3, D2)]) == D2
    assert line_date(5, [PlannedPromise(3, 12, 2, D2)]) is None
    assert line_date(1, []) is None
    assert backorder_date([D1, D3, D2]) == D3
    assert backorder_date([D1, None]) is None
    assert backorder_date([]) is None


# -- through the service ----------------------------------------------------------


@pytest.fixture
def queue(buying):
    """Three backorders for GADGET (no stock), oldest first: OLD 4, MID 3
    (a VIP's), NEW 2."""
    CustomerFactory(code="C-VIP", vip=True)
    numbers = [place(c, ("GADGET", q)).backorders[0].number
               for c, q in (("C-ACME", 4), ("C-VIP", 3), ("C-ACME", 2))]
    return dict(zip(("OLD", "MID", "NEW"), numbers, strict=True))


def buy(quantity, date, status="ordered"):
    return create_purchase_order(supplier="ACME-SUP", expected_date=date, status=status,
                                 lines=[PurchaseLineInput("GADGET", quantity)]).number


def dates(queue):
    by_id = {b.id: b for b in Backorder.objects.all()}
    return {k: by_id[int(n[3:])].expected_date for k, n in queue.items()}


def date_events():
    return [(e.subject, e.payload["old"], e.payload["new"], e.payload.get("cause"))
            for e in Event.objects.filter(type="BackorderExpectedDateChanged").order_by("id")]


def test_an_ordered_purchase_order_promises_its_quantity_oldest_first(api, queue):
    first = buy(5, D1)
    assert dates(queue) == {"OLD": D1, "MID": None, "NEW": None}  # MID: 1 of 3 promised
    second = buy(10, D2)
    assert dates(queue) == {"OLD": D1, "MID": D2, "NEW": D2}
    assert date_events() == [
        (queue["OLD"], None, D1.isoformat(), first),
        (queue["MID"], None, D2.isoformat(), second),
        (queue["NEW"], None, D2.isoformat(), second)]

    body = api.get(f"/api/v1/backorders/{queue['MID']}").json()
    line = body["lines"][0]
    assert (body["expected_date"], body["expected_date_manual"]) == (D2.isoformat(), False)
    assert (line["expected_date"], line["promised_date"]) == (D2.isoformat(), D2.isoformat())
    assert line["promises"] == [
        {"purchase_order": first, "supplier": "ACME-SUP", "quantity": 1,
         "expected_date": D1.isoformat()},
        {"purchase_order": second, "supplier": "ACME-SUP", "quantity": 2,
         "expected_date": D2.isoformat()}]
    # 9 units wait; 15 are on order: 6 left unpromised.
    assert sum(Promise.objects.values_list("quantity", flat=True)) == 9


def test_a_draft_promises_nothing_until_it_is_ordered(queue):
    draft = buy(20, D1, status="draft")
    assert not Promise.objects.exists()
    assert dates(queue) == {"OLD": None, "MID": None, "NEW": None}
    order_purchase_order(number=draft)
    assert dates(queue) == {"OLD": D1, "MID": D1, "NEW": D1}


def test_moving_a_purchase_order_moves_the_backorders_with_one_event_each(api, queue):
    first, second = buy(7, D1), buy(2, D2)
    Event.objects.all().delete()
    r = api.patch(f"{POS}/{first}", {"expected_date": D3.isoformat()})
    assert r.status_code == 200, r.content
    # Supply is used earliest first, so the second order now comes first.
    assert dates(queue) == {"OLD": D3, "MID": D3, "NEW": D3}
    assert sorted(date_events()) == sorted([
        (queue["OLD"], D1.isoformat(), D3.isoformat(), first),
        (queue["MID"], D1.isoformat(), D3.isoformat(), first),
        (queue["NEW"], D2.isoformat(), D3.isoformat(), first)])
    assert {p.purchase_order_line.purchase_order.number for p in Promise.objects.filter(
        backorder_line__backorder_id=int(queue["OLD"][3:]))} == {first, second}

    Event.objects.all().delete()
    update_purchase_order(number=first, expected_date=D3)  # no change, no event
    assert date_events() == []


def test_cancelling_a_purchase_order_takes_its_promises_away(api, queue):
    first, _ = buy(4, D1), buy(5, D2)
    assert dates(queue) == {"OLD": D1, "MID": D2, "NEW": D2}
    r = api.post(f"{POS}/{first}/cancel", {"reason": "supplier out of stock"})
    assert r.status_code == 200, r.content
    # 5 left on order: OLD's 4, then 1 of MID's 3.
    assert dates(queue) == {"OLD": D2, "MID": None, "NEW": None}
    assert not Promise.objects.filter(purchase_order_line__purchase_order_id=int(first[3:]))


def test_a_date_set_by_hand_wins_until_it_is_cleared(api, queue):
    first = buy(9, D1)
    url = f"/api/v1/backorders/{queue['OLD']}"
    assert api.patch(url, {"expected_date": "2031-06-01"}).status_code == 200
    Event.objects.all().delete()
    update_purchase_order(number=first, expected_date=D2)
    old = Backorder.objects.get(id=int(queue["OLD"][3:]))
    assert (old.expected_date, old.expected_date_manual) == (dt.date(2031, 6, 1), True)
    assert BackorderLine.objects.get(backorder=old).promised_date == D2
    assert queue["OLD"] not in [e[0] for e in date_events()]
    body = api.get(url).json()
    assert body["lines"][0]["expected_date"] == "2031-06-01"
    assert body["lines"][0]["promised_date"] == D2.isoformat()

    r = api.patch(url, {"expected_date": None})
    assert r.status_code == 200, r.content
    assert (r.json()["expected_date"], r.json()["expected_date_manual"]) == (D2.isoformat(),
                                                                              False)
    assert date_events()[-1][:3] == (queue["OLD"], "2031-06-01", D2.isoformat())


def test_a_new_backorder_is_promised_at_once_and_a_receipt_keeps_the_rest(queue, buying):
    first, second = buy(9, D1), buy(6, D2)
    late = place("C-ACME", ("GADGET", 5)).backorders[0].number  # 9 + 5 wait, 15 on order
    assert Backorder.objects.get(id=int(late[3:])).expected_date == D2

    receive_purchase_order(number=first, lines=[ReceiptLineInput("GADGET", 9)])
    got = {b.number: (b.status, b.expected_date) for b in Backorder.objects.all()}
    assert got[queue["OLD"]][0] == got[queue["MID"]][0] == got[queue["NEW"]][0] == "ready"
    assert got[late] == ("open", D2)
    # Fed lines hold no promises; the rest is promised against the second order.
    assert list(Promise.objects.values_list(
        "backorder_line__backorder_id", "purchase_order_line__purchase_order_id",
        "quantity")) == [(int(late[3:]), int(second[3:]), 5)]


def test_under_the_priority_policy_a_vip_comes_first(queue):
    change_settings(changes={"allocation_policy": "priority"})
    buy(3, D1)
    buy(20, D2)
    assert dates(queue) == {"OLD": D2, "MID": D1, "NEW": D2}
    # A high-priority backorder moves to the front and takes the earliest stock.
    update_backorder(number=queue["NEW"], changes={"priority": "high"})
    assert dates(queue) == {"OLD": D2, "MID": D2, "NEW": D1}


def test_a_cancelled_backorder_gives_its_promise_to_the_next_in_line(api, queue):
    buy(4, D1)
    buy(5, D2)
    r = api.post(f"/api/v1/backorders/{queue['OLD']}/cancel",
                 {"reason": "customer_requested"})
    assert r.status_code == 200, r.content
    # A cancelled backorder keeps the date it had; nothing waits on it.
    assert dates(queue) == {"OLD": D1, "MID": D1, "NEW": D2}
    assert not Promise.objects.filter(backorder_line__backorder_id=int(queue["OLD"][3:]))


def test_the_purchase_order_lists_the_backorders_promised_against_it(api, queue):
    first = buy(5, D1)
    body = api.get(f"{POS}/{first}").json()
    assert [(p["backorder"], p["customer"], p["sku"], p["quantity"], p["expected_date"])
            for p in body["promised"]] == [
        (queue["OLD"], Backorder.objects.get(id=int(queue["OLD"][3:])).customer.name,
         "GADGET", 4, D1.isoformat()),
        (queue["MID"], Backorder.objects.get(id=int(queue["MID"][3:])).customer.name,
         "GADGET", 1, D1.isoformat())]


def test_changing_the_allocation_policy_re_ranks_the_promises(api, queue):
    buy(3, D1)
    buy(20, D2)
    assert dates(queue) == {"OLD": D2, "MID": D2, "NEW": D2}  # OLD: 3 + 1 of 4
    r = api.patch("/api/v1/settings", {"allocation_policy": "priority"})
    assert r.status_code == 200, r.content
    assert dates(queue) == {"OLD": D2, "MID": D1, "NEW": D2}  # MID is a VIP's
    assert date_events()[-1] == (queue["MID"], D2.isoformat(), D1.isoformat(),
                                 "allocation_policy")


def test_the_promise_check_finds_a_promise_that_is_not_what_the_plan_says(queue):
    from fillrate.workflows.invariants import promise_problems

    buy(9, D1)
    assert promise_problems() == []
    Promise.objects.filter(backorder_line__backorder_id=int(queue["OLD"][3:])).update(
        quantity=1)
    BackorderLine.objects.filter(backorder_id=int(queue["MID"][3:])).update(promised_date=D3)
    problems = promise_problems()
    assert len(problems) == 3 and "the plan says (4," in problems[0]
    assert f"promised date {D3}" in problems[1]
    # ... and the backorder's date no longer follows its line's
    assert problems[2] == f"{queue['MID']}: expected {D1}, its waiting lines say {D3}"
    # Put back, or the check after the test would fail it.
    Promise.objects.filter(backorder_line__backorder_id=int(queue["OLD"][3:])).update(
        quantity=4)
    BackorderLine.objects.filter(backorder_id=int(queue["MID"][3:])).update(promised_date=D1)

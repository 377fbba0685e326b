"""Free stock goes to waiting backorders by `allocation_policy`: exact
quantities in every bucket, statuses, events, and the paths that feed
(positive adjustments, cancelled orders and backorders)."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.db.models import F

from fillrate.backorders.feeding import Fed, feed_backorders
from fillrate.backorders.models import Backorder, BackorderLine
from fillrate.backorders.services import update_backorder
from fillrate.core.business import change_settings
from fillrate.core.models import Event
from fillrate.inventory.locks import lock_stock_levels
from fillrate.inventory.services import adjust_stock
from fillrate.orders.models import Allocation, OrderLine, SalesOrder
from fillrate.workflows.adjust_stock import adjust_stock_and_feed
from fillrate.workflows.invariants import waiting_problems
from tests.orders.support import buckets, levels, place, snapshot

ADJUST = "/api/v1/stock/adjustments"


def bo(number):
    return Backorder.objects.get(id=int(number[3:]))


def bo_line(number, sku):
    return BackorderLine.objects.get(backorder_id=int(number[3:]), product__sku=sku)


@pytest.fixture
def queue(store):
    """Three backorders for BOLT (no stock): OLD (4, C-ACME), VIP (3, C-VIP),
    HIGH (2, C-ACME, high priority), placed in that order."""
    old = place("C-ACME", ("BOLT", 4))
    vip = place("C-VIP", ("BOLT", 3))
    high = place("C-ACME", ("BOLT", 2))
    update_backorder(number=high.backorders[0].number, changes={"priority": "high"})
    return {"old": old, "vip": vip, "high": high,
            **{k: v.backorders[0].number for k, v in
               (("OLD", old), ("VIP", vip), ("HIGH", high))}}


@pytest.mark.parametrize(("policy", "expected"), [
    ("fifo", {"OLD": (4, "ready"), "VIP": (1, "open"), "HIGH": (0, "open")}),
    ("priority", {"OLD": (0, "open"), "VIP": (3, "ready"), "HIGH": (2, "ready")}),
])
def test_a_positive_adjustment_feeds_backorders_by_policy(api, queue, policy, expected):
    change_settings(changes={"allocation_policy": policy})
    r = api.post(ADJUST, {"sku": "BOLT", "quantity": 5, "reason": "found"})
    assert r.status_code == 201, r.content
    body = r.json()
    assert (body["on_hand"], body["allocated"]) == (5, 5)
    fed = [(x["backorder"], x["quantity"]) for x in body["allocations"]]
    order = ["OLD", "VIP", "HIGH"] if policy == "fifo" else ["HIGH", "VIP", "OLD"]
    assert fed == [(queue[k], expected[k][0]) for k in order if expected[k][0]]
    for key, (allocated, status) in expected.items():
        backorder = bo(queue[key])
        assert (bo_line(queue[key], "BOLT").allocated, backorder.status) == (allocated,
                                                                            status), key
        # The order line counts backorder units as backordered until they
        # ship, held or not: neither it nor the order's status moves.
        line = queue[key.lower()].lines[0]
        assert buckets(line) == (0, line.quantity, 0, 0, 0), key
        assert SalesOrder.objects.get(id=line.order_id).status == "awaiting_backorder"
    assert levels("BOLT") == {"A-01": (5, 5)}
    events = list(Event.objects.filter(type="BackorderAllocated").order_by("subject"))
    assert [(e.subject, e.payload["lines"], e.payload["status"]) for e in events] == [
        (queue[k], [{"sku": "BOLT", "quantity": expected[k][0]}], expected[k][1])
        for k in sorted(expected, key=lambda k: queue[k]) if expected[k][0]]
    assert all(e.payload["cause"].startswith("adjustment ") for e in events)


def test_more_stock_than_waits_leaves_the_rest_free(queue, pick_location):
    result = adjust_stock_and_feed(product_id=queue["old"].lines[0].product_id, quantity=12,
                                   reason="found", location_id=pick_location.id)
    assert [(f.backorder, f.quantity) for f in result.allocations] == [
        (queue["OLD"], 4), (queue["VIP"], 3), (queue["HIGH"], 2)]
    assert (result.on_hand, result.allocated) == (12, 9)
    assert {bo(queue[k]).status for k in ("OLD", "VIP", "HIGH")} == {"ready"}
    assert levels("BOLT") == {"A-01": (12, 9)}


def test_a_partly_allocated_backorder_stays_open_showing_what_is_allocated(api, store):
    placed = place("C-ACME", ("GADGET", 5), ("BOLT", 4))  # GADGET 3 allocated, 2 + 4 wait
    (number,) = [b.number for b in placed.backorders]
    adjust_stock_and_feed(product_id=store.bolt.id, quantity=3, reason="found")
    assert bo(number).status == "open"
    detail = api.get(f"/api/v1/backorders/{number}").json()
    assert sorted((x["sku"], x["quantity"], x["allocated"]) for x in detail["lines"]) == [
        ("BOLT", 4, 3), ("GADGET", 2, 0)]
    gadget, bolt = placed.lines
    assert buckets(gadget) == (3, 2, 0, 0, 0)
    assert buckets(bolt) == (0, 4, 0, 0, 0)
    # It can ship in part now (partial_shipments is on by default) ...
    listed = api.get("/api/v1/backorders", {"fulfillable": "true"}).json()["items"]
    assert [x["number"] for x in listed] == [number]
    # ... but is not ready until every open unit has stock.
    adjust_stock_and_feed(product_id=store.bolt.id, quantity=1, reason="found")
    adjust_stock_and_feed(product_id=store.gadget.id, quantity=2, reason="found")
    assert bo(number).status == "ready"
    assert buckets(gadget) == (3, 2, 0, 0, 0) and buckets(bolt) == (0, 4, 0, 0, 0)
    assert levels("GADGET") == {"A-01": (5, 5)}
    listed = api.get("/api/v1/backorders", {"fulfillable": "true"}).json()["items"]
    assert [x["number"] for x in listed] == [number]


def test_feed_uses_stock_levels_in_pick_sequence_and_merges_allocations(store):
    placed = place("C-ACME", ("BOLT", 4))
    number = placed.backorders[0].number
    # Stock put in without feeding, then fed at once (as a receipt does).
    adjust_stock(product_id=store.bolt.id, location_id=store.bulk.id, quantity=5,
                 reason="found")
    adjust_stock(product_id=store.bolt.id, quantity=1, reason="found",
                 location_id=levels_location("A-01"))
    assert waiting_problems() == ["BOLT: 6 units free while backorder lines wait for 4"]
    with transaction.atomic():
        lock_stock_levels(product_ids=[store.bolt.id])
        fed = feed_backorders(product_ids=[store.bolt.id], cause="test")
    assert fed == [Fed(backorder=number, sku="BOLT", quantity=4)]
    assert levels("BOLT") == {"A-01": (1, 1), "B-01": (5, 3)}
    assert sorted(Allocation.objects.values_list("stock_level__location__code", "quantity")) == [
        ("A-01", 1), ("B-01", 3)]
    assert waiting_problems() == []


def levels_location(code):
    from fillrate.inventory.models import Location

    return Location.objects.get(code=code).id


def test_nothing_waiting_or_nothing_free_changes_nothing(store):
    before = snapshot()
    with transaction.atomic():
        lock_stock_levels(product_ids=[store.widget.id])
        assert feed_backorders(product_ids=[store.widget.id]) == []  # nothing waits
    assert snapshot() == before
    place("C-ACME", ("BOLT", 2))
    before = snapshot()
    with transaction.atomic():
        lock_stock_levels(product_ids=[store.bolt.id])
        assert feed_backorders(product_ids=[store.bolt.id]) == []  # nothing free
        assert feed_backorders(product_ids=[]) == []
    assert snapshot() == before


@pytest.mark.django_db(transaction=True)
def test_feed_needs_the_callers_transaction():
    with pytest.raises(RuntimeError, match="inside the caller's transaction"):
        feed_backorders(product_ids=[1])


def test_a_negative_adjustment_feeds_nothing(queue, stock, store):
    result = adjust_stock_and_feed(product_id=store.widget.id, quantity=-2, reason="damaged")
    assert result.allocations == []
    assert not Event.objects.filter(type="BackorderAllocated").exists()


def test_cancelled_and_ready_backorders_get_nothing(api, queue):
    r = api.post(f"/api/v1/backorders/{queue['OLD']}/cancel", {"reason": "customer_requested"})
    assert r.status_code == 200, r.content
    api.post(ADJUST, {"sku": "BOLT", "quantity": 3, "reason": "found"})
    api.post(ADJUST, {"sku": "BOLT", "quantity": 3, "reason": "found"})
    assert bo(queue["OLD"]).status == "cancelled"
    assert bo_line(queue["OLD"], "BOLT").allocated == 0
    assert (bo_line(queue["VIP"], "BOLT").allocated, bo(queue["VIP"]).status) == (3, "ready")
    assert (bo_line(queue["HIGH"], "BOLT").allocated, bo(queue["HIGH"]).status) == (2, "ready")
    assert levels("BOLT") == {"A-01": (6, 5)}


def test_cancelling_an_order_hands_its_stock_to_waiting_backorders(api, store):
    first = place("C-ACME", ("WIDGET", 20))  # every widget
    second = place("C-VIP", ("WIDGET", 6))
    number = second.backorders[0].number
    r = api.post(f"/api/v1/orders/{first.order.number}/cancel", {})
    assert r.status_code == 200, r.content
    assert buckets(second.lines[0]) == (0, 6, 0, 0, 0)
    assert (bo_line(number, "WIDGET").allocated, bo(number).status) == (6, "ready")
    assert levels("WIDGET") == {"A-01": (15, 6), "B-01": (5, 0)}
    event = Event.objects.get(type="BackorderAllocated")
    assert (event.subject, event.payload["cause"]) == (number, first.order.number)


def test_cancelling_allocated_backorder_units_hands_them_on(api, queue):
    adjust_stock_and_feed(product_id=queue["old"].lines[0].product_id, quantity=4,
                          reason="found")
    assert bo(queue["OLD"]).status == "ready"
    r = api.post(f"/api/v1/backorders/{queue['OLD']}/cancel",
                 {"reason": "customer_requested", "lines": [{"sku": "BOLT", "quantity": 3}]})
    assert r.status_code == 200, r.content
    assert (bo_line(queue["OLD"], "BOLT").allocated, bo(queue["OLD"]).status) == (1, "ready")
    assert (bo_line(queue["VIP"], "BOLT").allocated, bo(queue["VIP"]).status) == (3, "ready")
    assert buckets(queue["old"].lines[0]) == (0, 1, 0, 3, 0)
    assert buckets(queue["vip"].lines[0]) == (0, 3, 0, 0, 0)
    assert levels("BOLT") == {"A-01": (4, 4)}


def test_the_web_adjust_form_says_which_backorders_got_the_stock(queue, make_api):
    from django.test import Client

    from fillrate.accounts.permissions import Role

    make_api(Role.ADMINISTRATOR, username="boss")
    client = Client()
    assert client.login(username="boss", password="correct-horse-9")
    r = client.post("/stock/adjust/", {"sku": "BOLT", "quantity": 5, "reason": "found",
                                       "location": "", "note": ""}, follow=True)
    assert r.status_code == 200
    assert "5 went to 2 waiting backorder(s)" in r.content.decode()
    assert bo(queue["OLD"]).status == "ready"


@pytest.mark.postgres
def test_a_line_changed_after_planning_is_planned_again_not_overwritten(api, queue,
                                                                      monkeypatch):
    """The set-based write only touches lines still waiting for what they
    waited for when planned. Here OLD's line loses a unit between planning
    and writing (as a cancel that had no stock level to lock could commit):
    the write is undone to its savepoint and planned again."""
    from fillrate.backorders import feeding as feed

    real = feed.transaction.savepoint
    calls = []

    def savepoint_after_a_cancel():
        if not calls:
            line = bo_line(queue["OLD"], "BOLT")
            BackorderLine.objects.filter(id=line.id).update(cancelled=1)
            OrderLine.objects.filter(id=line.order_line_id).update(
                backordered=F("backordered") - 1, cancelled=F("cancelled") + 1)
        calls.append(1)
        return real()

    monkeypatch.setattr(feed.transaction, "savepoint", savepoint_after_a_cancel)
    r = api.post(ADJUST, {"sku": "BOLT", "quantity": 5, "reason": "found"})
    assert r.status_code == 201, r.content
    assert len(calls) == 2
    # OLD waited for 3 (not 4) when written: 3 for OLD, 2 for VIP.
    assert [(x["backorder"], x["quantity"]) for x in r.json()["allocations"]] == [
        (queue["OLD"], 3), (queue["VIP"], 2)]
    old = bo_line(queue["OLD"], "BOLT")
    assert (old.quantity, old.allocated, old.cancelled) == (4, 3, 1)


def test_a_second_feed_at_the_same_level_grows_the_line_s_allocation_row(api, store):
    placed = place("C-ACME", ("BOLT", 5))
    for quantity in (2, 3):
        r = api.post(ADJUST, {"sku": "BOLT", "quantity": quantity, "reason": "found"})
        assert r.status_code == 201, r.content
    assert list(Allocation.objects.values_list("order_line_id", "quantity")) == [
        (placed.lines[0].id, 5)]
    assert bo(placed.backorders[0].number).status == "ready"

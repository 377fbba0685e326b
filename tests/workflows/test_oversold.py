"""The oversold list's decisions: backorder, cancel, wait; holds and releases."""

from __future__ import annotations

import pytest

from fillrate.backorders.models import Backorder
from fillrate.core.business import change_settings
from fillrate.core.models import Event
from fillrate.orders.models import SalesOrder
from fillrate.workflows.oversold import hold_order, resolve_oversold
from tests.orders.support import buckets, event_types, place, snapshot, totals


@pytest.fixture
def oversold(store):
    """An order held by the hold policy: WIDGET 22 (20 allocated, 2 short),
    GADGET 2 (allocated), BOLT 4 (4 short)."""
    change_settings(changes={"oversell_policy": "hold"})
    placed = place("C-ACME", ("WIDGET", 22), ("GADGET", 2), ("BOLT", 4))
    assert placed.order.status == "on_hold"
    return placed


def resolve(api, number, action):
    return api.post(f"/api/v1/orders/{number}/resolve-oversold", {"action": action})


def test_backorder_turns_the_shortfall_into_one_backorder(api, oversold):
    r = resolve(api, oversold.order.number, "backorder")
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["status"] == "open" and body["ship_complete"] is False
    assert body["ready_to_ship"] is True
    assert [(x["allocated"], x["backordered"], x["unallocated"]) for x in body["lines"]] == [
        (20, 2, 0), (2, 0, 0), (0, 4, 0)]
    backorder = Backorder.objects.get()
    assert backorder.reason == "oversold order: backorder"
    assert sorted(backorder.lines.values_list("product__sku", "quantity")) == [
        ("BOLT", 4), ("WIDGET", 2)]
    assert event_types(oversold.order.number) == [
        "OrderPlaced", "OrderHeld", "OversoldOrderResolved"]
    assert Event.objects.get(type="OversoldOrderResolved").payload == {
        "action": "backorder", "backorder": backorder.number}
    assert api.get("/api/v1/orders/oversold").json()["count"] == 0


def test_cancel_cancels_the_shortfall_and_opens_no_backorder(api, oversold):
    body = resolve(api, oversold.order.number, "cancel").json()
    assert body["status"] == "open" and body["backorders"] == []
    assert [(x["allocated"], x["cancelled"], x["unallocated"]) for x in body["lines"]] == [
        (20, 2, 0), (2, 0, 0), (0, 4, 0)]
    assert body["total"] == "100.00"  # 20 x 4.00 + 2 x 10.00
    assert Event.objects.get(type="OversoldOrderResolved").payload == {
        "action": "cancel", "backorder": None}
    assert totals("WIDGET") == (20, 20)


def test_wait_backorders_the_shortfall_and_ships_the_order_complete(api, oversold):
    body = resolve(api, oversold.order.number, "wait").json()
    assert body["status"] == "open" and body["ship_complete"] is True
    assert body["ready_to_ship"] is False
    assert [(x["allocated"], x["backordered"]) for x in body["lines"]] == [
        (20, 2), (2, 0), (0, 4)]
    assert Backorder.objects.get().reason == "oversold order: wait"


def test_release_of_an_oversold_order_is_a_wait(api, oversold):
    r = api.post(f"/api/v1/orders/{oversold.order.number}/release")
    assert r.status_code == 200, r.content
    assert r.json()["ship_complete"] is True and len(r.json()["backorders"]) == 1
    assert Event.objects.get(type="OversoldOrderResolved").payload["action"] == "wait"


@pytest.mark.parametrize("action", ["backorder", "cancel", "wait"])
def test_each_action_first_takes_stock_that_arrived_since(oversold, stock, store, action):
    stock(store.bolt, 3)
    resolve_oversold(number=oversold.order.number, action=action)
    bolt = buckets(oversold.lines[2])
    assert bolt[0] == 3  # allocated
    assert bolt[1] + bolt[3] == 1  # the last unit backordered or cancelled
    assert totals("BOLT") == (3, 3)


def test_an_order_that_got_all_its_stock_since_needs_no_backorder(oversold, stock, store):
    stock(store.bolt, 10)
    stock(store.widget, 2)
    order = resolve_oversold(number=oversold.order.number, action="backorder")
    assert order.status == "open" and Backorder.objects.count() == 0
    assert [buckets(x)[0] for x in oversold.lines] == [22, 2, 4]


def test_an_all_short_order_awaits_its_backorder(store):
    change_settings(changes={"oversell_policy": "hold"})
    placed = place("C-ACME", ("BOLT", 4))
    assert resolve_oversold(number=placed.order.number, action="backorder").status == \
        "awaiting_backorder"


def test_resolving_an_order_that_is_not_oversold_is_409_and_changes_nothing(api, store):
    held = place("C-ACME", ("WIDGET", 2), hold=True)
    plain = place("C-ACME", ("WIDGET", 2))
    before = snapshot()
    for number in (held.order.number, plain.order.number):
        r = resolve(api, number, "backorder")
        assert r.status_code == 409 and r.json()["error"]["code"] == "orders.not_oversold"
    assert snapshot() == before


def test_an_unknown_action_is_422_and_changes_nothing(api, oversold):
    before = snapshot()
    r = resolve(api, oversold.order.number, "refund")
    assert r.status_code == 422
    assert (r.json()["error"]["code"], r.json()["error"]["field"]) == (
        "orders.invalid_action", "action")
    assert snapshot() == before


def test_resolving_twice_is_409(oversold, api):
    resolve(api, oversold.order.number, "cancel")
    before = snapshot()
    assert resolve(api, oversold.order.number, "cancel").status_code == 409
    assert snapshot() == before


def test_hold_and_release_by_hand(api, store):
    placed = place("C-ACME", ("WIDGET", 2))
    r = api.post(f"/api/v1/orders/{placed.order.number}/hold")
    assert r.status_code == 200 and r.json()["status"] == "on_hold"
    before = snapshot()
    again = api.post(f"/api/v1/orders/{placed.order.number}/hold")
    assert again.status_code == 409 and again.json()["error"]["code"] == \
        "orders.invalid_transition"
    assert snapshot() == before
    r = api.post(f"/api/v1/orders/{placed.order.number}/release")
    assert r.json()["status"] == "open"
    assert r.status_code == 200
    before = snapshot()
    assert api.post(f"/api/v1/orders/{placed.order.number}/release").status_code == 409
    assert snapshot() == before
    assert event_types(placed.order.number) == ["OrderPlaced", "OrderHeld", "OrderReleased"]


def test_a_cancelled_order_cannot_be_held(store):
    from fillrate.core.errors import Conflict
    from fillrate.workflows.cancel_order import cancel_order

    placed = place("C-ACME", ("WIDGET", 2))
    cancel_order(number=placed.order.number)
    with pytest.raises(Conflict):
        hold_order(number=placed.order.number)
    assert SalesOrder.objects.get().status == "cancelled"

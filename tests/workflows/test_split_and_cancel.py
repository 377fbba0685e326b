"""Manual backorders (splitting order lines), cancelling backorders whole or by
line, cancelling orders: exact quantities, released stock, and failure paths
that change nothing."""

from __future__ import annotations

import pytest
from django.utils import timezone

from fillrate.backorders.models import Backorder, BackorderLine
from fillrate.backorders.services import CancelLine, cancel_backorder
from fillrate.core.business import change_settings
from fillrate.core.errors import Conflict, InvalidValue, NotFound
from fillrate.core.models import Event
from fillrate.orders.models import SalesOrder
from fillrate.workflows.cancel_order import cancel_order
from fillrate.workflows.oversold import resolve_oversold
from fillrate.workflows.split_order import SplitLine, backorder_order_lines
from tests.orders.support import (
    allocate_to_backorder,
    buckets,
    event_types,
    levels,
    place,
    snapshot,
    totals,
)


def error(response, status):
    assert response.status_code == status, response.content
    return response.json()["error"]


def split_url(number):
    return f"/api/v1/orders/{number}/backorder"


def cancel_url(number):
    return f"/api/v1/backorders/{number}/cancel"


# -- manual backorder (split) --------------------------------------------------


def test_split_moves_allocated_units_to_a_new_backorder_and_frees_their_stock(api, store):
    placed = place("C-ACME", ("WIDGET", 18), ("GADGET", 2))
    widget, gadget = placed.lines
    assert levels("WIDGET") == {"A-01": (15, 15), "B-01": (5, 3)}
    r = api.post(split_url(placed.order.number), {
        "lines": [{"line": widget.id, "quantity": 4}, {"line": gadget.id, "quantity": 2}],
        "expected_date": "2030-03-01", "reason": "customer asked", "notes": "call first"})
    assert r.status_code == 201, r.content
    bo = r.json()
    assert (bo["status"], bo["expected_date"], bo["reason"], bo["notes"]) == (
        "open", "2030-03-01", "customer asked", "call first")
    assert [(x["sku"], x["quantity"], x["allocated"], x["open_quantity"], x["expected_date"])
            for x in bo["lines"]] == [("WIDGET", 4, 0, 4, "2030-03-01"),
                                      ("GADGET", 2, 0, 2, "2030-03-01")]
    assert buckets(widget) == (14, 4, 0, 0, 0)
    assert buckets(gadget) == (0, 2, 0, 0, 0)
    # released from the least convenient location first
    assert levels("WIDGET") == {"A-01": (15, 14), "B-01": (5, 0)}
    assert levels("GADGET") == {"A-01": (3, 0)}
    assert event_types(placed.order.number) == ["OrderPlaced", "OrderSplit"]
    split = Event.objects.get(type="OrderSplit").payload
    assert split["backorder"] == bo["number"] and split["released"] == 6
    assert event_types(bo["number"]) == ["BackorderOpened"]
    order = api.get(f"/api/v1/orders/{placed.order.number}").json()
    assert order["status"] == "open"
    assert {x["number"] for x in order["backorders"]} == {bo["number"]}
    # Marked as split by hand: the stock it released is not handed on.
    from fillrate.backorders.models import Backorder

    assert Backorder.objects.get(id=int(bo["number"][3:])).split_by_hand
    shortfall = place("C-ACME", ("BOLT", 1)).backorders[0]
    assert not Backorder.objects.get(id=shortfall.id).split_by_hand


def test_splitting_everything_leaves_the_order_awaiting_its_backorder(store):
    placed = place("C-ACME", ("GADGET", 3))
    backorder = backorder_order_lines(number=placed.order.number,
                                      lines=[SplitLine(placed.lines[0].id, 3)])
    assert buckets(placed.lines[0]) == (0, 3, 0, 0, 0)
    assert SalesOrder.objects.get().status == "awaiting_backorder"
    assert backorder.reason == "split by hand"
    assert levels("GADGET") == {"A-01": (3, 0)}


def test_units_already_on_a_backorder_cannot_be_split_again(api, store):
    placed = place("C-ACME", ("GADGET", 5))  # 3 allocated, 2 backordered
    line = placed.lines[0].id
    before = snapshot()
    e = error(api.post(split_url(placed.order.number),
                       {"lines": [{"line": line, "quantity": 4}]}), 422)
    assert (e["code"], e["field"]) == ("orders.quantity_exceeds_line", "lines[0].quantity")
    assert "at most 3" in e["message"]
    assert snapshot() == before
    assert api.post(split_url(placed.order.number),
                    {"lines": [{"line": line, "quantity": 3}]}).status_code == 201
    assert buckets(placed.lines[0]) == (0, 5, 0, 0, 0)
    assert Backorder.objects.count() == 2


def test_two_entries_for_one_line_are_added_up_against_what_it_holds(api, store):
    placed = place("C-ACME", ("GADGET", 3))
    line = placed.lines[0].id
    before = snapshot()
    e = error(api.post(split_url(placed.order.number), {"lines": [
        {"line": line, "quantity": 2}, {"line": line, "quantity": 2}]}), 422)
    assert e["field"] == "lines[1].quantity"
    assert snapshot() == before


def test_split_of_an_order_whose_picking_started_is_409_and_changes_nothing(api, store):
    placed = place("C-ACME", ("WIDGET", 5))
    SalesOrder.objects.filter(id=placed.order.id).update(picking_started_at=timezone.now())
    before = snapshot()
    e = error(api.post(split_url(placed.order.number),
                       {"lines": [{"line": placed.lines[0].id, "quantity": 1}]}), 409)
    assert e["code"] == "orders.picking_started"
    assert snapshot() == before


@pytest.mark.parametrize(("lines", "code", "field"), [
    ([], "orders.no_lines", "lines"),
    ([{"line": "LINE", "quantity": 0}], "orders.invalid_quantity", "lines[0].quantity"),
    ([{"line": "LINE", "quantity": 1}, {"line": "LINE", "quantity": -1}],
     "orders.invalid_quantity", "lines[1].quantity"),
    ([{"line": 987654, "quantity": 1}], "orders.unknown_line", "lines[0].line"),
    ([{"line": "OTHER", "quantity": 1}], "orders.unknown_line", "lines[0].line"),
])
def test_bad_splits_are_422_naming_the_field(api, store, lines, code, field):
    placed = place("C-ACME", ("WIDGET", 5))
    other = place("C-VIP", ("WIDGET", 1))
    ids = {"LINE": placed.lines[0].id, "OTHER": other.lines[0].id}
    body = {"lines": [dict(x, line=ids.get(x["line"], x["line"])) for x in lines]}
    before = snapshot()
    e = error(api.post(split_url(placed.order.number), body), 422)
    assert (e["code"], e["field"]) == (code, field)
    assert snapshot() == before


def test_split_of_unknown_or_closed_orders(api, store):
    assert error(api.post(split_url("SO-999999"), {"lines": [{"line": 1, "quantity": 1}]}),
                 404)["code"] == "orders.not_found"
    assert error(api.post(split_url("nonsense"), {"lines": [{"line": 1, "quantity": 1}]}),
                 404)["code"] == "orders.not_found"
    placed = place("C-ACME", ("WIDGET", 5))
    cancel_order(number=placed.order.number)
    before = snapshot()
    e = error(api.post(split_url(placed.order.number),
                       {"lines": [{"line": placed.lines[0].id, "quantity": 1}]}), 409)
    assert e["code"] == "orders.closed"
    assert snapshot() == before


def test_split_of_a_held_oversold_order_takes_unallocated_units_first(store):
    change_settings(changes={"oversell_policy": "hold"})
    placed = place("C-ACME", ("GADGET", 5))  # 3 allocated, 2 unallocated
    backorder_order_lines(number=placed.order.number, lines=[SplitLine(placed.lines[0].id, 3)])
    assert buckets(placed.lines[0]) == (2, 3, 0, 0, 0)
    assert levels("GADGET") == {"A-01": (3, 2)}
    assert SalesOrder.objects.get().status == "on_hold"


def test_resolving_an_oversold_order_after_a_split_backorders_only_the_shortfall(store):
    """The shortfall's backorder must not count the units an earlier split
    already put on a backorder (that would wait for them twice)."""
    change_settings(changes={"oversell_policy": "hold"})
    placed = place("C-ACME", ("BOLT", 10))  # nothing in stock: 10 unallocated
    first = backorder_order_lines(number=placed.order.number,
                                  lines=[SplitLine(placed.lines[0].id, 2)])
    resolve_oversold(number=placed.order.number, action="backorder")
    assert buckets(placed.lines[0]) == (0, 10, 0, 0, 0)
    second = Backorder.objects.exclude(id=first.id).get()
    assert list(second.lines.values_list("quantity", flat=True)) == [8]
    assert list(first.lines.values_list("quantity", flat=True)) == [2]


# -- cancelling a backorder -----------------------------------------------------


@pytest.fixture
def backordered(store):
    """SO with WIDGET 30 (20 allocated, 10 backordered) and BOLT 6 (all backordered)."""
    placed = place("C-ACME", ("WIDGET", 30), ("BOLT", 6))
    (backorder,) = placed.backorders
    return placed, backorder.number


def test_cancel_a_whole_backorder(api, backordered):
    placed, number = backordered
    r = api.post(cancel_url(number), {"reason": "excessive_delay", "notes": "too slow",
                                      "notify": True})
    assert r.status_code == 200, r.content
    bo = r.json()
    assert (bo["status"], bo["cancel_reason"], bo["cancel_notes"]) == (
        "cancelled", "excessive_delay", "too slow")
    assert [(x["sku"], x["cancelled"], x["open_quantity"]) for x in bo["lines"]] == [
        ("WIDGET", 10, 0), ("BOLT", 6, 0)]
    assert Backorder.objects.get().cancelled_at is not None
    widget, bolt = placed.lines
    assert buckets(widget) == (20, 0, 0, 10, 0)
    assert buckets(bolt) == (0, 0, 0, 6, 0)
    assert totals("WIDGET") == (20, 20)  # the order's own allocation stays
    assert SalesOrder.objects.get().status == "open"
    event = Event.objects.filter(subject=number).last()
    assert event.type == "BackorderCancelled"
    assert event.payload == {"reason": "excessive_delay", "notes": "too slow", "notify": True,
                             "status": "cancelled",
                             "lines": [{"sku": "WIDGET", "quantity": 10},
                                       {"sku": "BOLT", "quantity": 6}]}


def test_cancel_some_units_of_one_line(api, backordered):
    placed, number = backordered
    r = api.post(cancel_url(number), {"reason": "customer_requested",
                                      "lines": [{"sku": "BOLT", "quantity": 4}]})
    assert r.status_code == 200, r.content
    bo = r.json()
    assert bo["status"] == "open"
    assert [(x["sku"], x["cancelled"], x["open_quantity"]) for x in bo["lines"]] == [
        ("WIDGET", 0, 10), ("BOLT", 4, 2)]
    assert buckets(placed.lines[1]) == (0, 2, 0, 4, 0)
    assert event_types(number)[-1] == "BackorderLinesCancelled"
    assert Backorder.objects.get().cancel_reason == ""
    # the rest of that line, then the other line: the backorder is cancelled
    api.post(cancel_url(number), {"reason": "customer_requested", "lines": [{"sku": "BOLT"}]})
    r = api.post(cancel_url(number), {"reason": "customer_requested",
                                      "lines": [{"sku": "WIDGET", "quantity": 10}]})
    assert r.json()["status"] == "cancelled" and r.json()["cancel_reason"] == "customer_requested"
    assert event_types(number)[-1] == "BackorderCancelled"
    assert buckets(placed.lines[0]) == (20, 0, 0, 10, 0)


def test_cancelling_allocated_backorder_units_releases_their_stock(api, backordered, stock,
                                                                   store):
    placed, number = backordered
    stock(store.bolt, 5)
    allocate_to_backorder(number, "BOLT", 5)  # BOLT: 5 allocated, 1 waiting
    assert buckets(placed.lines[1]) == (0, 6, 0, 0, 0)
    assert totals("BOLT") == (5, 5)
    # waiting units go first, then allocated ones
    r = api.post(cancel_url(number), {"reason": "customer_requested",
                                      "lines": [{"sku": "BOLT", "quantity": 3}]})
    assert r.status_code == 200, r.content
    line = next(x for x in r.json()["lines"] if x["sku"] == "BOLT")
    assert (line["allocated"], line["cancelled"], line["open_quantity"]) == (3, 3, 3)
    assert buckets(placed.lines[1]) == (0, 3, 0, 3, 0)
    assert totals("BOLT") == (5, 3)
    # the whole cancel releases the rest
    api.post(cancel_url(number), {"reason": "unable_to_fulfil"})
    assert totals("BOLT") == (5, 0)
    assert buckets(placed.lines[1]) == (0, 0, 0, 6, 0)
    assert BackorderLine.objects.filter(allocated__gt=0).count() == 0


def test_a_fully_allocated_backorder_is_ready_and_partial_cancel_keeps_it_ready(
        backordered, stock, store):
    _, number = backordered
    stock(store.bolt, 6)
    stock(store.widget, 10)
    allocate_to_backorder(number, "BOLT", 6)
    assert Backorder.objects.get().status == "open"  # widget still waits
    allocate_to_backorder(number, "WIDGET", 10)
    assert Backorder.objects.get().status == "ready"
    cancel_backorder(number=number, reason="customer_requested", lines=[CancelLine("BOLT", 2)])
    assert Backorder.objects.get().status == "ready"
    assert totals("BOLT") == (6, 4)


def test_reason_other_needs_notes(api, backordered):
    _, number = backordered
    before = snapshot()
    for notes in ("", "   "):
        e = error(api.post(cancel_url(number), {"reason": "other", "notes": notes}), 422)
        assert (e["code"], e["field"]) == ("backorders.notes_required", "notes")
    e = error(api.post(cancel_url(number), {"reason": "bored"}), 422)
    assert (e["code"], e["field"]) == ("backorders.invalid_reason", "reason")
    assert snapshot() == before
    r = api.post(cancel_url(number), {"reason": "other", "notes": "wrong colour"})
    assert r.json()["cancel_reason"] == "other" and r.json()["cancel_notes"] == "wrong colour"


@pytest.mark.parametrize(("lines", "code", "field"), [
    ([], "backorders.no_lines", "lines"),  # was a 200 that wrote an empty event
    ([{"sku": "GADGET", "quantity": 1}], "backorders.unknown_line", "lines[0].sku"),
    ([{"sku": "BOLT", "quantity": 7}], "backorders.invalid_quantity", "lines[0].quantity"),
    ([{"sku": "BOLT", "quantity": 0}], "backorders.invalid_quantity", "lines[0].quantity"),
    ([{"sku": "WIDGET", "quantity": 1}, {"sku": "BOLT", "quantity": -1}],
     "backorders.invalid_quantity", "lines[1].quantity"),
    ([{"sku": "BOLT", "quantity": 4}, {"sku": "BOLT", "quantity": 4}],
     "backorders.invalid_quantity", "lines[1].quantity"),
])
def test_bad_line_cancels_are_422_and_change_nothing(api, backordered, lines, code, field):
    _, number = backordered
    before = snapshot()
    e = error(api.post(cancel_url(number), {"reason": "customer_requested", "lines": lines}),
              422)
    assert (e["code"], e["field"]) == (code, field)
    assert snapshot() == before


def test_cancelling_a_cancelled_backorder_is_409_and_changes_nothing(api, backordered):
    _, number = backordered
    api.post(cancel_url(number), {"reason": "customer_requested"})
    before = snapshot()
    for body in ({"reason": "customer_requested"},
                 {"reason": "customer_requested", "lines": [{"sku": "BOLT", "quantity": 1}]}):
        e = error(api.post(cancel_url(number), body), 409)
        assert (e["code"], e["field"]) == ("backorders.invalid_transition", "status")
    assert snapshot() == before


def test_cancel_of_an_unknown_backorder_is_404(api, store):
    assert error(api.post(cancel_url("BO-424242"), {"reason": "customer_requested"}),
                 404)["code"] == "backorders.not_found"
    with pytest.raises(NotFound):
        cancel_backorder(number="XX-1", reason="customer_requested")


# -- cancelling an order ---------------------------------------------------------


def test_cancel_order_releases_stock_and_cancels_open_backorders(api, backordered, stock,
                                                                 store):
    placed, number = backordered
    stock(store.bolt, 2)
    allocate_to_backorder(number, "BOLT", 2)
    split = backorder_order_lines(number=placed.order.number,
                                  lines=[SplitLine(placed.lines[0].id, 5)])
    assert totals("WIDGET") == (20, 15) and totals("BOLT") == (2, 2)
    r = api.post(f"/api/v1/orders/{placed.order.number}/cancel", {"notes": "changed mind"})
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["status"] == "cancelled" and body["total"] == "0.00"
    assert [(x["allocated"], x["backordered"], x["cancelled"]) for x in body["lines"]] == [
        (0, 0, 30), (0, 0, 6)]
    assert totals("WIDGET") == (20, 0) and totals("BOLT") == (2, 0)
    for bo in Backorder.objects.all():
        assert (bo.status, bo.cancel_reason, bo.cancel_notes) == (
            "cancelled", "customer_requested", "changed mind")
        assert bo.cancelled_at is not None
    assert {b["number"] for b in body["backorders"]} == {number, split.number}
    assert event_types(placed.order.number)[-1] == "OrderCancelled"
    assert event_types(number)[-1] == "BackorderCancelled"
    assert Event.objects.get(type="OrderCancelled").payload["backorders"] == [
        number, split.number]


def test_cancel_order_without_notes_names_the_order(store):
    placed = place("C-ACME", ("BOLT", 1))
    cancel_order(number=placed.order.number)
    assert Backorder.objects.get().cancel_notes == f"order {placed.order.number} cancelled"


def test_cancel_order_leaves_cancelled_backorders_alone(backordered):
    placed, number = backordered
    cancel_backorder(number=number, reason="excessive_delay")
    cancel_order(number=placed.order.number)
    assert Backorder.objects.get().cancel_reason == "excessive_delay"
    assert Event.objects.filter(type="BackorderCancelled").count() == 1


def test_cancel_a_held_oversold_order_cancels_the_unallocated_units(store):
    change_settings(changes={"oversell_policy": "hold"})
    placed = place("C-ACME", ("GADGET", 5))
    cancel_order(number=placed.order.number)
    assert buckets(placed.lines[0]) == (0, 0, 0, 5, 0)
    assert totals("GADGET") == (3, 0)


def test_cancel_a_cancelled_order_is_409_and_changes_nothing(api, store):
    placed = place("C-ACME", ("WIDGET", 2))
    cancel_order(number=placed.order.number)
    before = snapshot()
    e = error(api.post(f"/api/v1/orders/{placed.order.number}/cancel"), 409)
    assert e["code"] == "orders.invalid_transition"
    assert snapshot() == before
    assert error(api.post("/api/v1/orders/SO-777777/cancel"), 404)["code"] == "orders.not_found"


def test_cancel_order_at_the_service_raises_conflict_for_a_cancelled_order(store):
    placed = place("C-ACME", ("WIDGET", 2))
    cancel_order(number=placed.order.number)
    with pytest.raises(Conflict):
        cancel_order(number=placed.order.number)


def test_service_errors_are_raised_before_any_write(backordered):
    _, number = backordered
    before = snapshot()
    with pytest.raises(InvalidValue):
        cancel_backorder(number=number, reason="other")
    with pytest.raises(InvalidValue):
        cancel_backorder(number=number, reason="customer_requested",
                         lines=[CancelLine("BOLT", 1), CancelLine("NOPE", 1)])
    assert snapshot() == before

"""Fulfilling orders and backorders, dispatching: exact quantities in every
bucket, partial fulfilment, refusals that change nothing, cancelling."""

from __future__ import annotations

import pytest

from fillrate.backorders.models import Backorder, BackorderLine
from fillrate.backorders.services import cancel_backorder
from fillrate.core.business import change_settings
from fillrate.core.errors import Conflict, InvalidValue, NotFound
from fillrate.fulfilment.models import Fulfillment
from fillrate.inventory.models import StockMovement
from fillrate.orders.models import SalesOrder
from fillrate.workflows.dispatch import (
    cancel_fulfillment,
    deliver_fulfillment,
    dispatch_fulfillment,
)
from fillrate.workflows.fulfil import (
    FulfilLine,
    fulfil_backorder,
    fulfil_backorders_by_product,
    fulfil_order,
)
from fillrate.workflows.oversold import hold_order, release_order
from tests.fulfilment.support import lines_of, snapshot
from tests.orders.support import allocate_to_backorder, buckets, event_types, levels, place


def bo_line(number: str) -> tuple[int, int, int, int]:
    """(quantity, allocated, fulfilled, cancelled) of a one-line backorder."""
    line = BackorderLine.objects.get(backorder__id=int(number.split("-")[1]))
    return line.quantity, line.allocated, line.fulfilled, line.cancelled


def status_of(model, number: str) -> str:
    return model.objects.get(id=int(number.split("-")[1])).status


def test_an_order_s_own_allocated_stock_is_fulfilled_and_dispatched(store):
    placed = place("C-ACME", ("WIDGET", 4), ("GADGET", 2))
    widget, gadget = placed.lines

    made = fulfil_order(number=placed.order.number)

    assert made.number == f"FF-{made.id:06d}" and made.status == "queued"
    assert lines_of(made) == [("WIDGET", 4, False), ("GADGET", 2, False)]
    # Queued changes no stock: the units stay allocated.
    assert buckets(widget) == (4, 0, 0, 0, 0)
    assert levels("WIDGET") == {"A-01": (15, 4), "B-01": (5, 0)}

    dispatch_fulfillment(number=made.number, carrier="DHL", tracking_number="JD01")

    made.refresh_from_db()
    assert (made.status, made.carrier, made.tracking_number) == ("dispatched", "DHL", "JD01")
    assert made.dispatched_at is not None
    assert buckets(widget) == (0, 0, 4, 0, 0)
    assert buckets(gadget) == (0, 0, 2, 0, 0)
    assert levels("WIDGET") == {"A-01": (11, 0), "B-01": (5, 0)}
    assert levels("GADGET") == {"A-01": (1, 0)}
    shipped = list(StockMovement.objects.filter(kind="shipped").order_by("id").values_list(
        "product__sku", "location__code", "quantity", "on_hand_after", "reference"))
    assert shipped == [("WIDGET", "A-01", -4, 11, made.number),
                       ("GADGET", "A-01", -2, 1, made.number)]
    assert status_of(SalesOrder, placed.order.number) == "fulfilled"
    assert event_types(made.number) == ["FulfillmentQueued", "FulfillmentDispatched"]
    assert event_types(placed.order.number)[-1] == "OrderShipped"


def test_shipping_takes_from_the_allocations_wherever_they_are(store):
    placed = place("C-ACME", ("WIDGET", 18))  # 15 at A-01, 3 at B-01
    made = fulfil_order(number=placed.order.number)
    dispatch_fulfillment(number=made.number)
    assert levels("WIDGET") == {"A-01": (0, 0), "B-01": (2, 0)}
    assert sorted(StockMovement.objects.filter(kind="shipped").values_list(
        "location__code", "quantity")) == [("A-01", -15), ("B-01", -3)]


def test_units_on_a_queued_fulfillment_are_not_put_on_a_second_one(store):
    placed = place("C-ACME", ("WIDGET", 4))
    fulfil_order(number=placed.order.number)
    before = snapshot()
    with pytest.raises(Conflict) as err:
        fulfil_order(number=placed.order.number)
    assert err.value.code == "fulfilment.nothing_to_fulfil"
    assert snapshot() == before


def test_a_backorder_is_fulfilled_all_then_its_order_awaits_nothing(store, stock):
    placed = place("C-ACME", ("WIDGET", 25))  # 20 allocated, 5 on backorder
    (backorder,) = placed.backorders
    (line,) = placed.lines
    own = fulfil_order(number=placed.order.number)
    assert lines_of(own) == [("WIDGET", 20, False)]
    stock(store.widget, 5, location=store.bulk)
    allocate_to_backorder(backorder.number, "WIDGET", 5)
    assert status_of(Backorder, backorder.number) == "ready"
    assert buckets(line) == (20, 5, 0, 0, 0)  # the backorder's units stay backordered

    made = fulfil_backorder(number=backorder.number)

    assert lines_of(made) == [("WIDGET", 5, True)]
    assert made.backorder_id == backorder.id
    dispatch_fulfillment(number=made.number)
    assert bo_line(backorder.number) == (5, 0, 5, 0)
    assert status_of(Backorder, backorder.number) == "complete"
    assert buckets(line) == (20, 0, 5, 0, 0)
    assert status_of(SalesOrder, placed.order.number) == "partially_fulfilled"
    assert "BackorderFulfilled" in event_types(backorder.number)

    dispatch_fulfillment(number=own.number)
    assert buckets(line) == (0, 0, 25, 0, 0)
    assert status_of(SalesOrder, placed.order.number) == "fulfilled"
    assert levels("WIDGET") == {"A-01": (0, 0), "B-01": (0, 0)}


@pytest.fixture
def bolt_backorder(store, stock):
    """An order for 10 BOLT (no stock): all on a backorder, 6 of them allocated."""
    placed = place("C-ACME", ("BOLT", 10))
    (backorder,) = placed.backorders
    stock(store.bolt, 6)
    allocate_to_backorder(backorder.number, "BOLT", 6)
    return placed, backorder


def test_a_partial_fulfilment_leaves_the_rest_open(bolt_backorder):
    placed, backorder = bolt_backorder
    (line,) = placed.lines
    assert status_of(Backorder, backorder.number) == "open"
    assert buckets(line) == (0, 10, 0, 0, 0)

    made = fulfil_backorder(number=backorder.number, lines=[FulfilLine("BOLT", 4)])
    assert lines_of(made) == [("BOLT", 4, True)]
    dispatch_fulfillment(number=made.number)

    assert bo_line(backorder.number) == (10, 2, 4, 0)
    assert buckets(line) == (0, 6, 4, 0, 0)
    assert levels("BOLT") == {"A-01": (2, 2)}
    assert status_of(Backorder, backorder.number) == "partially_fulfilled"
    # what is left of the order is all on the backorder
    assert status_of(SalesOrder, placed.order.number) == "awaiting_backorder"

    rest = fulfil_backorder(number=backorder.number)  # "All": the 2 still allocated
    assert lines_of(rest) == [("BOLT", 2, True)]
    dispatch_fulfillment(number=rest.number)
    assert bo_line(backorder.number) == (10, 0, 6, 0)
    assert buckets(line) == (0, 4, 6, 0, 0)
    assert status_of(Backorder, backorder.number) == "partially_fulfilled"
    assert levels("BOLT") == {"A-01": (0, 0)}


@pytest.mark.parametrize(("lines", "code", "field", "kind"), [
    ([FulfilLine("BOLT", 7)], "fulfilment.over_allocated", "lines[0].quantity", Conflict),
    ([FulfilLine("BOLT", 4), FulfilLine("bolt", 1)], "fulfilment.duplicate_sku",
     "lines[1].sku", InvalidValue),
    ([FulfilLine("WIDGET", 1)], "fulfilment.unknown_line", "lines[0].sku", InvalidValue),
    ([FulfilLine("BOLT", 1), FulfilLine("NOPE", 1)], "catalog.unknown_sku", "lines[1].sku",
     NotFound),
    ([FulfilLine("BOLT", 0)], "fulfilment.invalid_quantity", "lines[0].quantity",
     InvalidValue),
    ([], "fulfilment.no_lines", "lines", InvalidValue),
])
def test_over_fulfilling_or_bad_lines_change_nothing(bolt_backorder, lines, code, field, kind):
    _, backorder = bolt_backorder
    before = snapshot()
    with pytest.raises(kind) as err:
        fulfil_backorder(number=backorder.number, lines=lines)
    assert (err.value.code, err.value.field) == (code, field)
    assert snapshot() == before


def test_queued_units_count_against_what_can_be_fulfilled(bolt_backorder):
    _, backorder = bolt_backorder
    first = fulfil_backorder(number=backorder.number, lines=[FulfilLine("BOLT", 4)])
    with pytest.raises(Conflict) as err:
        fulfil_backorder(number=backorder.number, lines=[FulfilLine("BOLT", 3)])
    assert err.value.code == "fulfilment.over_allocated"
    assert "2 allocated" in err.value.message
    second = fulfil_backorder(number=backorder.number)
    assert lines_of(second) == [("BOLT", 2, True)]
    with pytest.raises(Conflict) as err:
        fulfil_backorder(number=backorder.number)
    assert err.value.code == "fulfilment.nothing_to_fulfil"
    # Cancelling a queued fulfillment frees its units for a new one.
    cancel_fulfillment(number=first.number)
    assert status_of(Fulfillment, first.number) == "cancelled"
    again = fulfil_backorder(number=backorder.number)
    assert lines_of(again) == [("BOLT", 4, True)]


def test_cancelled_and_dispatched_fulfillments_refuse_the_wrong_moves(bolt_backorder):
    _, backorder = bolt_backorder
    made = fulfil_backorder(number=backorder.number)
    cancel_fulfillment(number=made.number)
    before = snapshot()
    for move in (cancel_fulfillment, dispatch_fulfillment, deliver_fulfillment):
        with pytest.raises(Conflict) as err:
            move(number=made.number)
        assert err.value.code == "fulfilment.invalid_transition"
    assert snapshot() == before

    shipped = fulfil_backorder(number=backorder.number)
    with pytest.raises(Conflict):
        deliver_fulfillment(number=shipped.number)  # not dispatched yet
    dispatch_fulfillment(number=shipped.number)
    with pytest.raises(Conflict):
        cancel_fulfillment(number=shipped.number)
    deliver_fulfillment(number=shipped.number)
    shipped.refresh_from_db()
    assert shipped.status == "delivered" and shipped.delivered_at is not None
    assert event_types(shipped.number) == ["FulfillmentQueued", "FulfillmentDispatched",
                                           "FulfillmentDelivered"]


def test_unknown_fulfillments_are_404(db):
    for number in ("FF-999999", "nonsense"):
        with pytest.raises(NotFound) as err:
            dispatch_fulfillment(number=number)
        assert err.value.code == "fulfilment.not_found"


def test_a_backorder_without_allocated_stock_or_closed_cannot_be_fulfilled(store):
    placed = place("C-ACME", ("BOLT", 3))
    (backorder,) = placed.backorders
    before = snapshot()
    with pytest.raises(Conflict) as err:
        fulfil_backorder(number=backorder.number)
    assert err.value.code == "fulfilment.nothing_to_fulfil"
    assert snapshot() == before

    cancel_backorder(number=backorder.number, reason="customer_requested")
    before = snapshot()
    with pytest.raises(Conflict) as err:
        fulfil_backorder(number=backorder.number)
    assert err.value.code == "fulfilment.backorder_closed"
    assert snapshot() == before


def test_with_partial_shipments_off_all_waits_for_a_ready_backorder(bolt_backorder, stock,
                                                                     store):
    _, backorder = bolt_backorder
    change_settings(changes={"partial_shipments": False})
    with pytest.raises(Conflict) as err:
        fulfil_backorder(number=backorder.number)
    assert err.value.code == "fulfilment.not_ready"
    with pytest.raises(Conflict) as err:
        fulfil_backorders_by_product(sku="BOLT")
    assert err.value.code == "fulfilment.nothing_to_fulfil"
    stock(store.bolt, 4)
    allocate_to_backorder(backorder.number, "BOLT", 4)
    made = fulfil_backorder(number=backorder.number)
    assert lines_of(made) == [("BOLT", 10, True)]


def test_an_order_on_hold_cannot_be_fulfilled(store):
    placed = place("C-ACME", ("WIDGET", 2))
    hold_order(number=placed.order.number)
    before = snapshot()
    with pytest.raises(Conflict) as err:
        fulfil_order(number=placed.order.number)
    assert err.value.code == "fulfilment.not_ready_to_ship"
    assert snapshot() == before


def test_the_backorders_of_an_order_on_hold_are_not_fulfilled(bolt_backorder):
    """A hold stops the backorder at the fulfil step, as it stops the order's
    own units, not only at dispatch."""
    placed, backorder = bolt_backorder
    hold_order(number=placed.order.number)
    before = snapshot()
    with pytest.raises(Conflict) as err:
        fulfil_backorder(number=backorder.number)
    assert err.value.code == "fulfilment.order_on_hold"
    with pytest.raises(Conflict) as err:
        fulfil_backorders_by_product(sku="BOLT")
    assert err.value.code == "fulfilment.nothing_to_fulfil"
    assert snapshot() == before
    release_order(number=placed.order.number)
    assert lines_of(fulfil_backorder(number=backorder.number)) == [("BOLT", 6, True)]


def test_an_order_put_on_hold_after_fulfilling_is_not_dispatched(store):
    placed = place("C-ACME", ("WIDGET", 2))
    made = fulfil_order(number=placed.order.number)
    hold_order(number=placed.order.number)
    before = snapshot()
    with pytest.raises(Conflict) as err:
        dispatch_fulfillment(number=made.number)
    assert err.value.code == "fulfilment.order_not_shippable"
    assert snapshot() == before


def test_batch_fulfilment_makes_one_fulfillment_per_backorder_oldest_first(store, stock):
    first = place("C-ACME", ("BOLT", 3), ("WIDGET", 1)).backorders[0]
    second = place("C-VIP", ("BOLT", 2)).backorders[0]
    third = place("C-ACME", ("BOLT", 4)).backorders[0]
    stock(store.bolt, 5)
    allocate_to_backorder(first.number, "BOLT", 3)
    allocate_to_backorder(second.number, "BOLT", 2)

    made = fulfil_backorders_by_product(sku="BOLT")

    assert [f.backorder_id for f in made] == [first.id, second.id]
    assert [lines_of(f) for f in made] == [[("BOLT", 3, True)], [("BOLT", 2, True)]]
    assert status_of(Backorder, third.number) == "open"
    before = snapshot()
    with pytest.raises(Conflict) as err:  # all of it is queued already
        fulfil_backorders_by_product(sku="BOLT")
    assert (err.value.code, err.value.field) == ("fulfilment.nothing_to_fulfil", "sku")
    assert snapshot() == before
    for f in made:
        dispatch_fulfillment(number=f.number)
    assert status_of(Backorder, first.number) == "complete"
    assert status_of(Backorder, second.number) == "complete"
    with pytest.raises(NotFound):
        fulfil_backorders_by_product(sku="NOPE")


def test_cancelling_an_order_cancels_its_pending_fulfillments(store, stock):
    from fillrate.workflows.cancel_order import cancel_order

    placed = place("C-ACME", ("WIDGET", 4), ("BOLT", 2))
    own = fulfil_order(number=placed.order.number)
    stock(store.bolt, 2)
    allocate_to_backorder(placed.backorders[0].number, "BOLT", 2)
    of_backorder = fulfil_backorder(number=placed.backorders[0].number)

    cancel_order(number=placed.order.number)

    assert status_of(Fulfillment, own.number) == "cancelled"
    assert status_of(Fulfillment, of_backorder.number) == "cancelled"
    assert levels("WIDGET") == {"A-01": (15, 0), "B-01": (5, 0)}
    assert event_types(own.number) == ["FulfillmentQueued", "FulfillmentCancelled"]


def test_a_ship_complete_order_ships_its_backorder_units_with_its_own(store, stock):
    change_settings(changes={"partial_shipments": False})
    placed = place("C-ACME", ("WIDGET", 25))
    (backorder,) = placed.backorders
    (line,) = placed.lines
    assert placed.order.ship_complete
    with pytest.raises(Conflict) as err:
        fulfil_order(number=placed.order.number)
    assert err.value.code == "fulfilment.not_ready_to_ship"

    stock(store.widget, 5)
    allocate_to_backorder(backorder.number, "WIDGET", 5)
    made = fulfil_order(number=placed.order.number)
    assert lines_of(made) == [("WIDGET", 20, False), ("WIDGET", 5, True)]
    dispatch_fulfillment(number=made.number)

    assert buckets(line) == (0, 0, 25, 0, 0)
    assert bo_line(backorder.number) == (5, 0, 5, 0)
    assert status_of(Backorder, backorder.number) == "complete"
    assert status_of(SalesOrder, placed.order.number) == "fulfilled"
    assert [(x.quantity, x.rate) for x in made.invoice.lines.all()] == [(25, 4)]


def test_units_on_a_queued_fulfillment_cannot_be_split_off(store):
    """A split may not take units the warehouse was told to ship: refused,
    naming the fulfillment, and the fulfillment still dispatches whole."""
    from fillrate.workflows.split_order import SplitLine, backorder_order_lines

    placed = place("C-ACME", ("GADGET", 3))
    made = fulfil_order(number=placed.order.number)
    before = snapshot()
    with pytest.raises(Conflict) as err:
        backorder_order_lines(number=placed.order.number,
                              lines=[SplitLine(line=placed.lines[0].id, quantity=2)])
    assert err.value.code == "orders.units_on_fulfillment"
    assert made.number in err.value.message
    assert snapshot() == before
    dispatch_fulfillment(number=made.number)
    assert status_of(Fulfillment, made.number) == "dispatched"


def test_cancelling_a_backorder_cancels_the_fulfillments_carrying_its_units(bolt_backorder):
    from fillrate.backorders.services import CancelLine
    from fillrate.workflows.cancel_backorder import cancel_backorder_and_feed

    placed, backorder = bolt_backorder  # 10 BOLT backordered, 6 held
    kept = fulfil_backorder(number=backorder.number, lines=[FulfilLine("BOLT", 2)])
    # Cancelling 4 waiting units leaves the 6 held: the fulfillment stays.
    cancel_backorder_and_feed(number=backorder.number, reason="customer_requested",
                              lines=[CancelLine("BOLT", 4)])
    assert status_of(Fulfillment, kept.number) == "queued"

    cancel_backorder_and_feed(number=backorder.number, reason="customer_requested")
    assert status_of(Fulfillment, kept.number) == "cancelled"
    assert event_types(kept.number) == ["FulfillmentQueued", "FulfillmentCancelled"]
    with pytest.raises(Conflict):
        dispatch_fulfillment(number=kept.number)
    assert levels("BOLT") == {"A-01": (6, 0)}

"""Placing orders: exact quantities under each oversell policy, holds, ship
complete, prices, and bad input that changes nothing."""

from __future__ import annotations

from decimal import Decimal

import pytest

from fillrate.backorders.models import Backorder, BackorderLine
from fillrate.catalog.models import Product
from fillrate.core.business import change_settings
from fillrate.core.errors import Conflict, InvalidValue, NotFound
from fillrate.core.models import Event
from fillrate.orders.models import Allocation, OrderLine, SalesOrder
from fillrate.orders.services import LineInput
from fillrate.workflows.place_order import place_order
from tests.orders.support import buckets, event_types, levels, place, snapshot

ORDERS = "/api/v1/orders"


def post_order(api, *lines, customer="C-ACME", **extra):
    body = {"customer": customer, "lines": [
        dict(sku=x[0], quantity=x[1], **({"unit_price": x[2]} if len(x) > 2 else {}))
        for x in lines]}
    body.update(extra)
    return api.post(ORDERS, body)


def error(response, status):
    assert response.status_code == status, response.content
    return response.json()["error"]


# -- the backorder policy (default) ------------------------------------------


def test_backorder_policy_allocates_pick_face_first_and_backorders_the_rest(api, store):
    r = post_order(api, ("WIDGET", 18), ("GADGET", 5), ("BOLT", 2))
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["status"] == "open" and body["ship_complete"] is False
    assert body["ready_to_ship"] is True
    got = [(x["sku"], x["quantity"], x["allocated"], x["backordered"], x["unallocated"])
           for x in body["lines"]]
    assert got == [("WIDGET", 18, 18, 0, 0), ("GADGET", 5, 3, 2, 0), ("BOLT", 2, 0, 2, 0)]
    assert levels("WIDGET") == {"A-01": (15, 15), "B-01": (5, 3)}
    assert levels("GADGET") == {"A-01": (3, 3)}
    assert levels("BOLT") == {}
    assert (body["total"], body["backordered_value"], body["amount_due"]) == (
        "125.00", "23.00", "102.00")

    (ref,) = body["backorders"]
    backorder = Backorder.objects.get(id=int(ref["number"][3:]))
    assert backorder.status == "open" and backorder.customer.code == "C-ACME"
    assert backorder.reason == "out of stock at order entry"
    assert sorted(backorder.lines.values_list("product__sku", "quantity", "allocated",
                                              "unit_price")) == [
        ("BOLT", 2, 0, Decimal("1.50")), ("GADGET", 2, 0, Decimal("10.00"))]
    assert event_types(body["number"]) == ["OrderPlaced"]
    assert event_types(ref["number"]) == ["BackorderOpened"]
    placed = Event.objects.get(type="OrderPlaced").payload
    assert placed["lines"][1] == {"sku": "GADGET", "quantity": 5, "allocated": 3,
                                  "backordered": 2}


def test_an_order_that_fits_in_stock_opens_no_backorder(store):
    placed = place("C-ACME", ("WIDGET", 20), ("GADGET", 3))
    assert placed.order.status == "open" and placed.backorders == []
    assert [buckets(x) for x in placed.lines] == [(20, 0, 0, 0, 0), (3, 0, 0, 0, 0)]
    assert levels("WIDGET") == {"A-01": (15, 15), "B-01": (5, 5)}
    assert Allocation.objects.count() == 3
    assert Backorder.objects.count() == 0


def test_a_second_order_gets_only_what_the_first_left(store):
    place("C-ACME", ("GADGET", 2))
    second = place("C-VIP", ("GADGET", 2))
    assert buckets(second.lines[0]) == (1, 1, 0, 0, 0)
    third = place("C-VIP", ("GADGET", 4))
    assert buckets(third.lines[0]) == (0, 4, 0, 0, 0)
    assert third.order.status == "awaiting_backorder"
    assert levels("GADGET") == {"A-01": (3, 3)}


def test_stock_on_the_issues_wall_is_not_sellable(store, stock, issues_location):
    stock(store.bolt, 10, location=issues_location)
    placed = place("C-ACME", ("BOLT", 4))
    assert buckets(placed.lines[0]) == (0, 4, 0, 0, 0)
    assert levels("BOLT") == {"ISSUES": (10, 0)}


# -- hold and reject ----------------------------------------------------------


def test_hold_policy_keeps_the_shortfall_unallocated_on_the_oversold_list(api, store):
    change_settings(changes={"oversell_policy": "hold"})
    r = post_order(api, ("WIDGET", 2), ("GADGET", 5))
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["status"] == "on_hold" and body["backorders"] == []
    assert body["ready_to_ship"] is False
    assert [(x["allocated"], x["backordered"], x["unallocated"]) for x in body["lines"]] == [
        (2, 0, 0), (3, 0, 2)]
    assert levels("GADGET") == {"A-01": (3, 3)}
    assert event_types(body["number"]) == ["OrderPlaced", "OrderHeld"]
    held = Event.objects.get(type="OrderHeld").payload
    assert held == {"oversold": True, "requested": False}
    oversold = api.get(f"{ORDERS}/oversold").json()
    assert oversold["count"] == 1
    assert [(x["sku"], x["allocated"], x["shortfall"]) for x in oversold["items"][0]["lines"]] \
        == [("GADGET", 3, 2)]
    assert Backorder.objects.count() == 0


def test_hold_policy_with_enough_stock_does_not_hold(store):
    change_settings(changes={"oversell_policy": "hold"})
    placed = place("C-ACME", ("GADGET", 3))
    assert placed.order.status == "open"
    assert event_types(placed.order.number) == ["OrderPlaced"]


def test_reject_policy_refuses_the_whole_order_and_changes_nothing(api, store):
    change_settings(changes={"oversell_policy": "reject"})
    before = snapshot()
    r = post_order(api, ("WIDGET", 20), ("BOLT", 1))
    assert error(r, 409) == {"code": "orders.insufficient_stock",
                             "message": "BOLT: 1 ordered, 0 available",
                             "field": "lines[1].quantity"}
    assert snapshot() == before
    # the same order within stock goes through
    r = post_order(api, ("WIDGET", 20))
    assert r.status_code == 201 and r.json()["lines"][0]["allocated"] == 20


def test_reject_names_the_first_short_line(store):
    change_settings(changes={"oversell_policy": "reject"})
    with pytest.raises(Conflict) as caught:
        place("C-ACME", ("WIDGET", 21), ("GADGET", 4))
    assert caught.value.field == "lines[0].quantity"
    assert caught.value.message == "WIDGET: 21 ordered, 20 available"


def test_hold_true_holds_an_order_that_fits(api, store):
    r = post_order(api, ("GADGET", 2), hold=True)
    body = r.json()
    assert r.status_code == 201 and body["status"] == "on_hold"
    assert body["lines"][0]["allocated"] == 2 and body["ready_to_ship"] is False
    assert Event.objects.get(type="OrderHeld").payload == {"oversold": False, "requested": True}
    assert api.get(f"{ORDERS}/oversold").json()["count"] == 0  # held, not oversold

    released = api.post(f"{ORDERS}/{body['number']}/release")
    assert released.status_code == 200, released.content
    assert released.json()["status"] == "open" and released.json()["ready_to_ship"] is True
    assert event_types(body["number"])[-1] == "OrderReleased"


def test_hold_true_with_a_shortfall_still_backorders_it_under_the_backorder_policy(store):
    placed = place("C-ACME", ("GADGET", 5), hold=True)
    assert placed.order.status == "on_hold"
    assert buckets(placed.lines[0]) == (3, 2, 0, 0, 0)
    assert len(placed.backorders) == 1


def test_hold_true_under_the_hold_policy_leaves_the_shortfall_unallocated(store):
    change_settings(changes={"oversell_policy": "hold"})
    placed = place("C-ACME", ("GADGET", 5), hold=True)
    assert placed.order.status == "on_hold"
    assert buckets(placed.lines[0]) == (3, 0, 0, 0, 2)
    assert Event.objects.get(type="OrderHeld").payload == {"oversold": True, "requested": True}


def test_hold_true_under_the_reject_policy_still_rejects_a_shortfall(store):
    change_settings(changes={"oversell_policy": "reject"})
    before = snapshot()
    with pytest.raises(Conflict):
        place("C-ACME", ("GADGET", 5), hold=True)
    assert snapshot() == before


# -- partial shipments off ----------------------------------------------------


def test_without_partial_shipments_an_order_ships_only_when_complete(api, store):
    change_settings(changes={"partial_shipments": False})
    full = post_order(api, ("GADGET", 3)).json()
    assert full["ship_complete"] is True and full["ready_to_ship"] is True

    short = post_order(api, ("WIDGET", 5), ("BOLT", 2)).json()
    assert short["ship_complete"] is True and short["ready_to_ship"] is False
    assert short["status"] == "open" and len(short["backorders"]) == 1
    # the backorder is settled (here: cancelled) -> every active unit is held
    number = short["backorders"][0]["number"]
    r = api.post(f"/api/v1/backorders/{number}/cancel", {"reason": "unable_to_fulfil"})
    assert r.status_code == 200, r.content
    after = api.get(f"{ORDERS}/{short['number']}").json()
    assert after["ship_complete"] is True and after["ready_to_ship"] is True
    assert [(x["allocated"], x["cancelled"]) for x in after["lines"]] == [(5, 0), (0, 2)]


def test_partial_shipments_setting_is_read_at_placement(store):
    change_settings(changes={"partial_shipments": False})
    first = place("C-ACME", ("GADGET", 1))
    change_settings(changes={"partial_shipments": True})
    second = place("C-ACME", ("GADGET", 1))
    first.order.refresh_from_db()
    assert first.order.ship_complete is True and second.order.ship_complete is False


# -- prices --------------------------------------------------------------------


def test_unit_price_defaults_to_list_price_and_is_kept_for_life(api, store):
    r = post_order(api, ("GADGET", 5), ("WIDGET", 1, "3.25"))
    body = r.json()
    assert [x["unit_price"] for x in body["lines"]] == ["10.00", "3.25"]
    Product.objects.filter(sku="GADGET").update(list_price=Decimal("99.00"))
    Product.objects.filter(sku="WIDGET").update(list_price=Decimal("0.50"))
    again = api.get(f"{ORDERS}/{body['number']}").json()
    assert [x["unit_price"] for x in again["lines"]] == ["10.00", "3.25"]
    assert again["total"] == "53.25"
    bo = api.get(f"/api/v1/backorders/{body['backorders'][0]['number']}").json()
    assert bo["lines"][0]["unit_price"] == "10.00" and bo["value"] == "20.00"
    # a new order gets the new list price
    assert post_order(api, ("GADGET", 1)).json()["lines"][0]["unit_price"] == "99.00"


def test_a_zero_unit_price_is_allowed(store):
    placed = place_order(customer="C-ACME", lines=[LineInput("GADGET", 1, Decimal("0"))])
    assert placed.lines[0].unit_price == Decimal("0")


# -- bad input: a clear error naming the field, nothing written -------------


@pytest.mark.parametrize(("lines", "customer", "status", "code", "field"), [
    ([("WIDGET", 1)], "C-NOBODY", 404, "customers.unknown_customer", "customer"),
    ([("WIDGET", 1), ("NOPE", 1)], "C-ACME", 404, "catalog.unknown_sku", "lines[1].sku"),
    ([("WIDGET", 1), ("GADGET", 0)], "C-ACME", 422, "orders.invalid_quantity",
     "lines[1].quantity"),
    ([("WIDGET", -3)], "C-ACME", 422, "orders.invalid_quantity", "lines[0].quantity"),
    # more than the quantity columns hold (a server error on PostgreSQL before)
    ([("GADGET", 1), ("WIDGET", 2**31)], "C-ACME", 422, "orders.invalid_quantity",
     "lines[1].quantity"),
    ([("WIDGET", 1), ("GADGET", 1), ("WIDGET", 2)], "C-ACME", 422, "orders.duplicate_sku",
     "lines[2].sku"),
    ([], "C-ACME", 422, "orders.no_lines", "lines"),
    ([("WIDGET", 1, "-0.01")], "C-ACME", 422, "orders.invalid_price", "lines[0].unit_price"),
])
def test_bad_orders_are_refused_and_change_nothing(api, store, lines, customer, status, code,
                                                   field):
    before = snapshot()
    e = error(post_order(api, *lines, customer=customer), status)
    assert (e["code"], e["field"]) == (code, field)
    assert e["message"]
    assert snapshot() == before


def test_a_discontinued_product_cannot_be_ordered(api, store):
    Product.objects.filter(sku="GADGET").update(discontinued=True)
    before = snapshot()
    e = error(post_order(api, ("WIDGET", 1), ("GADGET", 1)), 409)
    assert (e["code"], e["field"]) == ("catalog.discontinued", "lines[1].sku")
    assert snapshot() == before


@pytest.mark.parametrize(("body", "field"), [
    ({"customer": "C-ACME", "lines": [{"sku": "WIDGET", "quantity": "many"}]},
     "lines[0].quantity"),
    ({"customer": "C-ACME", "lines": [{"sku": "WIDGET", "quantity": 1.5}]}, "lines[0].quantity"),
    ({"customer": "C-ACME", "lines": [{"sku": "", "quantity": 1}]}, "lines[0].sku"),
    ({"customer": "C-ACME", "lines": [{"quantity": 1}]}, "lines[0].sku"),
    ({"customer": "", "lines": [{"sku": "WIDGET", "quantity": 1}]}, "customer"),
    ({"customer": "C-ACME"}, "lines"),
])
def test_malformed_order_fields_are_422_naming_the_field(api, store, body, field):
    before = snapshot()
    e = error(api.post(ORDERS, body), 422)
    assert (e["code"], e["field"]) == ("request.invalid", field)
    assert snapshot() == before


def test_validation_comes_before_any_write_at_the_service(store):
    before = snapshot()
    for lines, kind in [
        ([LineInput("WIDGET", 1), LineInput("GADGET", 0)], InvalidValue),
        ([LineInput("WIDGET", 1), LineInput("MISSING", 1)], NotFound),
    ]:
        with pytest.raises(kind):
            place_order(customer="C-ACME", lines=lines)
    with pytest.raises(NotFound):
        place_order(customer="C-GHOST", lines=[LineInput("WIDGET", 1)])
    assert snapshot() == before


def test_sales_may_place_orders_warehouse_may_not(make_api, store):
    sales = make_api("sales")
    assert post_order(sales, ("GADGET", 1)).status_code == 201
    warehouse = make_api("warehouse")
    before = snapshot()
    e = error(post_order(warehouse, ("GADGET", 1)), 403)
    assert e["code"] == "auth.forbidden"
    assert snapshot() == before


def test_order_rows_and_lines_are_numbered(store):
    placed = place("C-ACME", ("WIDGET", 1), ("GADGET", 1), ("BOLT", 1), reference="PO-778")
    order = SalesOrder.objects.get()
    assert order.reference == "PO-778" and order.number == placed.order.number
    assert list(OrderLine.objects.values_list("line_no", flat=True)) == [1, 2, 3]
    assert BackorderLine.objects.get().order_line.line_no == 3


def test_placed_order_body_is_exactly_the_documented_schema(api, store):
    """POST /orders encodes its dict without a second validation pass, so the
    dict is held here to `OrderOut`: the same fields, each valid, and what
    GET /orders/{number} says of the same order."""
    from fillrate.api.routers.orders import OrderOut

    r = post_order(api, ("WIDGET", 18), ("BOLT", 2))
    assert r.status_code == 201, r.content
    body = r.json()
    assert set(body) == set(OrderOut.model_fields)
    validated = OrderOut.model_validate(body)
    assert [x.sku for x in validated.lines] == ["WIDGET", "BOLT"]
    assert set(body["lines"][0]) == set(type(validated.lines[0]).model_fields)
    assert body == api.get(f"{ORDERS}/{body['number']}").json()

"""Amount due and payments (charge_backorders_on_shipment), and the order
read endpoints."""

from __future__ import annotations

from decimal import Decimal

import pytest

from fillrate.core.business import change_settings
from fillrate.core.errors import Conflict
from fillrate.orders.models import SalesOrder
from fillrate.workflows.payments import pay_order
from tests.orders.support import place, snapshot


def pay(api, number, amount=None):
    return api.post(f"/api/v1/orders/{number}/payments",
                    {} if amount is None else {"amount": amount})


def test_pay_what_is_due_now_then_the_backorder_when_it_is_charged(api, store):
    placed = place("C-ACME", ("WIDGET", 5), ("GADGET", 4))  # 1 gadget backordered
    number = placed.order.number
    order = api.get(f"/api/v1/orders/{number}").json()
    assert (order["total"], order["backordered_value"], order["amount_due"]) == (
        "60.00", "10.00", "50.00")
    r = pay(api, number, "20.00")
    assert r.status_code == 201, r.content
    assert (r.json()["amount_paid"], r.json()["amount_due"], r.json()["payment_status"]) == (
        "20.00", "30.00", "unpaid")
    r = pay(api, number)
    assert (r.json()["amount_paid"], r.json()["amount_due"], r.json()["payment_status"]) == (
        "50.00", "0.00", "paid")
    before = snapshot()
    e = pay(api, number).json()["error"]
    assert e["code"] == "orders.nothing_due"
    assert snapshot() == before
    # charged now: the backordered gadget is due as well
    change_settings(changes={"charge_backorders_on_shipment": False})
    assert api.get(f"/api/v1/orders/{number}").json()["amount_due"] == "10.00"
    r = pay(api, number, "10.01")
    assert r.status_code == 409 and r.json()["error"] == {
        "code": "orders.overpayment", "message": f"{number}: amount due is 10.00",
        "field": "amount"}
    assert pay(api, number, "10.00").json()["payment_status"] == "paid"


@pytest.mark.parametrize("amount", ["0", "-5.00", "1.234", "lots"])
def test_bad_payment_amounts_are_422(api, store, amount):
    placed = place("C-ACME", ("WIDGET", 1))
    before = snapshot()
    r = pay(api, placed.order.number, amount)
    assert r.status_code == 422 and r.json()["error"]["field"] == "amount"
    assert snapshot() == before


def test_cancelled_units_are_not_charged(store):
    placed = place("C-ACME", ("BOLT", 4), ("WIDGET", 1))
    from fillrate.backorders.services import cancel_backorder

    cancel_backorder(number=placed.backorders[0].number, reason="customer_requested")
    change_settings(changes={"charge_backorders_on_shipment": False})
    assert pay_order(number=placed.order.number) == Decimal("4.00")
    with pytest.raises(Conflict):
        pay_order(number=placed.order.number)
    assert SalesOrder.objects.get().amount_paid == Decimal("4.00")


def test_order_list_filters_and_detail(api, store):
    first = place("C-ACME", ("WIDGET", 1)).order.number
    second = place("C-VIP", ("BOLT", 1)).order.number
    third = place("C-VIP", ("WIDGET", 1), hold=True).order.number
    rows = api.get("/api/v1/orders").json()
    assert rows["count"] == 3 and [x["number"] for x in rows["items"]] == [third, second, first]
    assert [x["number"] for x in api.get("/api/v1/orders", {"customer": "C-VIP"}).json()[
        "items"]] == [third, second]
    assert [x["number"] for x in api.get("/api/v1/orders", {"status": "awaiting_backorder"})
            .json()["items"]] == [second]
    assert [x["number"] for x in api.get("/api/v1/orders", {"status": "on_hold"})
            .json()["items"]] == [third]
    bad = api.get("/api/v1/orders", {"status": "shipped"})
    assert bad.status_code == 422
    assert (bad.json()["error"]["code"], bad.json()["error"]["field"]) == (
        "orders.invalid_filter", "status")
    detail = api.get(f"/api/v1/orders/{second.lower()}").json()
    assert detail["number"] == second and detail["customer"] == "C-VIP"
    for missing in ("SO-424242", "BO-000001", "SO-x"):
        r = api.get(f"/api/v1/orders/{missing}")
        assert r.status_code == 404 and r.json()["error"]["code"] == "orders.not_found"


def test_every_role_may_read_orders(make_api, store):
    number = place("C-ACME", ("WIDGET", 1)).order.number
    for role in ("administrator", "supervisor", "warehouse", "sales"):
        assert make_api(role).get(f"/api/v1/orders/{number}").status_code == 200
        assert make_api(role).get("/api/v1/backorders").status_code == 200

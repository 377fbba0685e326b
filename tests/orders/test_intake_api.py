"""End to end through the API: order intake, oversell policies, backorders."""

from __future__ import annotations

import pytest

from fillrate.core.business import change_settings
from fillrate.core.models import Event
from fillrate.inventory.models import StockLevel
from fillrate.orders.models import SalesOrder
from tests.factories import CustomerFactory, ProductFactory


@pytest.fixture
def shop(stock, bulk_location):
    customer = CustomerFactory(code="C-ACME")
    widget = stock(ProductFactory(sku="WIDGET", list_price="4.00"), 15)
    stock(widget, 5, location=bulk_location)
    gadget = stock(ProductFactory(sku="GADGET", list_price="10.00"), 3)
    return customer, widget, gadget


def test_order_with_a_shortfall_reserves_stock_and_opens_a_backorder(api, shop):
    r = api.post("/api/v1/orders", {"customer": "C-ACME", "lines": [
        {"sku": "WIDGET", "quantity": 12}, {"sku": "GADGET", "quantity": 5}]})
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["number"].startswith("SO-")
    assert body["status"] == "open"
    widget, gadget = body["lines"]
    assert (widget["allocated"], widget["backordered"], widget["unit_price"]) == (12, 0, "4.00")
    assert (gadget["allocated"], gadget["backordered"]) == (3, 2)
    assert len(body["backorders"]) == 1 and body["backorders"][0]["status"] == "open"
    # amount due excludes the two backordered gadgets until they ship
    assert body["total"] == "98.00" and body["amount_due"] == "78.00"

    # stock levels: pick face first, then bulk; 3 gadgets all held
    levels = {(lv.product.sku, lv.location.code): (lv.on_hand, lv.allocated)
              for lv in StockLevel.objects.select_related("product", "location")}
    assert levels[("WIDGET", "A-01")] == (15, 12)
    assert levels[("GADGET", "A-01")] == (3, 3)

    bo = api.get(f"/api/v1/backorders/{body['backorders'][0]['number']}").json()
    assert bo["order"]["number"] == body["number"]
    assert [(x["sku"], x["quantity"], x["allocated"], x["unit_price"]) for x in bo["lines"]] == [
        ("GADGET", 2, 0, "10.00")]
    assert bo["lines"][0]["stock"] == {"on_hand": 3, "available": 0, "allocated_to_others": 3}
    assert [e["type"] for e in bo["events"]] == ["BackorderOpened"]

    listed = api.get("/api/v1/backorders", {"sku": "GADGET", "customer": "C-ACME"}).json()
    assert listed["count"] == 1 and listed["items"][0]["flags"] == ["oldest"]
    assert api.get("/api/v1/products/GADGET").json()["backordered"] == 2


def test_reject_policy_is_409_and_writes_nothing(api, shop):
    change_settings(changes={"oversell_policy": "reject"})
    events = Event.objects.count()
    r = api.post("/api/v1/orders", {"customer": "C-ACME", "lines": [
        {"sku": "WIDGET", "quantity": 1}, {"sku": "GADGET", "quantity": 4}]})
    assert r.status_code == 409
    assert r.json()["error"] == {"code": "orders.insufficient_stock",
                                 "message": "GADGET: 4 ordered, 3 available",
                                 "field": "lines[1].quantity"}
    assert SalesOrder.objects.count() == 0 and Event.objects.count() == events
    assert sum(lv.allocated for lv in StockLevel.objects.all()) == 0


def test_hold_policy_puts_the_order_on_the_oversold_list(api, shop):
    change_settings(changes={"oversell_policy": "hold"})
    r = api.post("/api/v1/orders", {"customer": "C-ACME", "lines": [
        {"sku": "GADGET", "quantity": 5}]})
    assert r.status_code == 201
    number = r.json()["number"]
    assert r.json()["status"] == "on_hold" and r.json()["backorders"] == []
    oversold = api.get("/api/v1/orders/oversold").json()
    assert oversold["count"] == 1
    assert oversold["items"][0]["lines"][0]["shortfall"] == 2

    r = api.post(f"/api/v1/orders/{number}/resolve-oversold", {"action": "backorder"})
    assert r.status_code == 200, r.content
    assert r.json()["status"] == "open" and len(r.json()["backorders"]) == 1
    assert api.get("/api/v1/orders/oversold").json()["count"] == 0


def test_manual_backorder_then_cancel_releases_stock(api, shop):
    order = api.post("/api/v1/orders", {"customer": "C-ACME", "lines": [
        {"sku": "WIDGET", "quantity": 10}]}).json()
    line = order["lines"][0]["id"]
    too_many = api.post(f"/api/v1/orders/{order['number']}/backorder",
                        {"lines": [{"line": line, "quantity": 11}]})
    assert too_many.status_code == 422
    assert too_many.json()["error"]["field"] == "lines[0].quantity"

    r = api.post(f"/api/v1/orders/{order['number']}/backorder",
                 {"lines": [{"line": line, "quantity": 4}], "expected_date": "2030-01-31",
                  "reason": "customer asked to split", "notes": "ship rest in Jan"})
    assert r.status_code == 201, r.content
    bo = r.json()
    assert bo["expected_date"] == "2030-01-31" and bo["lines"][0]["quantity"] == 4
    assert api.get("/api/v1/products/WIDGET").json()["allocated"] == 6

    r = api.post(f"/api/v1/backorders/{bo['number']}/cancel", {"reason": "other"})
    assert r.status_code == 422 and r.json()["error"]["field"] == "notes"
    r = api.post(f"/api/v1/backorders/{bo['number']}/cancel",
                 {"reason": "customer_requested", "notes": "no longer needed"})
    assert r.status_code == 200 and r.json()["status"] == "cancelled"
    again = api.post(f"/api/v1/backorders/{bo['number']}/cancel",
                     {"reason": "customer_requested"})
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "backorders.invalid_transition"
    o = api.get(f"/api/v1/orders/{order['number']}").json()
    assert (o["lines"][0]["allocated"], o["lines"][0]["cancelled"]) == (6, 4)

    r = api.post(f"/api/v1/orders/{order['number']}/cancel")
    assert r.status_code == 200 and r.json()["status"] == "cancelled"
    assert api.get("/api/v1/products/WIDGET").json()["allocated"] == 0

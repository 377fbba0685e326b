"""The three holes scattered stock writers left (issue "one owner for every
quantity"), end to end through the API, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from fillrate.backorders.models import Backorder
from fillrate.core.models import Event
from fillrate.fulfilment.models import Fulfillment
from fillrate.orders.models import OrderLine, SalesOrder
from tests.factories import CustomerFactory, ProductFactory
from tests.orders.support import levels, snapshot

ADJUST = "/api/v1/stock/adjustments"


def order(api, customer, *lines, **extra):
    r = api.post("/api/v1/orders", {"customer": customer, **extra,
                                    "lines": [{"sku": s, "quantity": q} for s, q in lines]})
    assert r.status_code == 201, r.content
    return r.json()


def backorder(api, number):
    r = api.get(f"/api/v1/backorders/{number}")
    assert r.status_code == 200, r.content
    return r.json()


@pytest.fixture
def five(stock):
    """KETTLE: 5 on hand at A-01; customers A (plain) and B (VIP)."""
    CustomerFactory(code="A")
    CustomerFactory(code="B", vip=True)
    CustomerFactory(code="C")
    return stock(ProductFactory(sku="KETTLE", list_price="20.00"), 5)


# -- 1. a split feeds waiting backorders --------------------------------------


def test_a_split_hands_the_stock_it_frees_to_the_backorder_waiting_for_it(api, five):
    a = order(api, "A", ("KETTLE", 5))
    b = order(api, "B", ("KETTLE", 3))
    (waiting,) = b["backorders"]
    assert backorder(api, waiting["number"])["status"] == "open"

    r = api.post(f"/api/v1/orders/{a['number']}/backorder",
                 {"lines": [{"line": a["lines"][0]["id"], "quantity": 3}]})
    assert r.status_code == 201, r.content

    fed = backorder(api, waiting["number"])
    assert fed["status"] == "ready"
    assert fed["lines"][0]["allocated"] == 3
    assert levels("KETTLE") == {"A-01": (5, 5)}
    # The next order finds nothing free: it is backordered, not served first.
    c = order(api, "C", ("KETTLE", 1))
    assert c["lines"][0]["allocated"] == 0 and c["lines"][0]["backordered"] == 1
    allocated = Event.objects.filter(type="BackorderAllocated", subject=waiting["number"])
    assert allocated.get().payload["cause"] == r.json()["number"]


def test_a_split_does_not_hand_the_stock_back_to_its_own_order(api, five):
    a = order(api, "A", ("KETTLE", 8))  # 5 allocated, 3 on an older backorder of A
    r = api.post(f"/api/v1/orders/{a['number']}/backorder",
                 {"lines": [{"line": a["lines"][0]["id"], "quantity": 2}]})
    assert r.status_code == 201, r.content
    assert levels("KETTLE") == {"A-01": (5, 3)}  # 2 free: the split was meant to free them
    assert backorder(api, a["backorders"][0]["number"])["lines"][0]["allocated"] == 0


# -- 2. a split cannot take units on a queued fulfillment ----------------------


def test_a_split_of_units_on_a_queued_fulfillment_is_refused_and_changes_nothing(api, five):
    a = order(api, "A", ("KETTLE", 4))
    r = api.post(f"/api/v1/orders/{a['number']}/fulfil", {})
    assert r.status_code == 201, r.content
    queued = r.json()["number"]
    before = snapshot()
    r = api.post(f"/api/v1/orders/{a['number']}/backorder",
                 {"lines": [{"line": a["lines"][0]["id"], "quantity": 3}]})
    assert r.status_code == 409, r.content
    error = r.json()["error"]
    assert error["code"] == "orders.units_on_fulfillment"
    assert queued in error["message"] and error["field"] == "lines[0].quantity"
    assert snapshot() == before
    r = api.post(f"/api/v1/fulfillments/{queued}/dispatch", {})
    assert r.status_code == 200, r.content


def test_a_split_may_take_the_units_not_on_a_fulfillment(api, five):
    a = order(api, "A", ("KETTLE", 4))
    queued = api.post(f"/api/v1/orders/{a['number']}/fulfil", {}).json()["number"]
    b = order(api, "A", ("KETTLE", 1))  # the fifth unit, on its own order
    r = api.post(f"/api/v1/orders/{b['number']}/backorder",
                 {"lines": [{"line": b["lines"][0]["id"], "quantity": 1}]})
    assert r.status_code == 201, r.content
    assert Fulfillment.objects.get().number == queued


# -- 3. lost stock that is allocated ------------------------------------------


@pytest.fixture
def two_waiting(api, pick_location):
    """KETTLE, no stock: A's backorder for 2 (older), then B's (a VIP) for 1;
    3 units found feed both, so all 3 on hand are allocated."""
    CustomerFactory(code="A")
    CustomerFactory(code="B", vip=True)
    ProductFactory(sku="KETTLE")
    a = order(api, "A", ("KETTLE", 2))["backorders"][0]["number"]
    b = order(api, "B", ("KETTLE", 1))["backorders"][0]["number"]
    r = api.post(ADJUST, {"sku": "KETTLE", "quantity": 3, "reason": "found"})
    assert r.status_code == 201, r.content
    assert [backorder(api, x)["status"] for x in (a, b)] == ["ready", "ready"]
    return a, b


def test_losing_allocated_stock_takes_it_from_the_last_in_line(api, two_waiting):
    """FIFO: B's backorder is last in line, so the lost unit is its own and
    it waits again; A keeps what it holds."""
    a, b = two_waiting
    r = api.post(ADJUST, {"sku": "KETTLE", "quantity": -1, "reason": "lost"})
    assert r.status_code == 201, r.content
    body = r.json()
    assert (body["on_hand"], body["allocated"]) == (2, 2)
    assert body["taken"] == [{"order": backorder(api, b)["order"]["number"], "backorder": b,
                              "sku": "KETTLE", "quantity": 1, "outcome": "waiting",
                              "new_backorder": None}]
    assert [backorder(api, x)["status"] for x in (a, b)] == ["ready", "open"]
    assert Event.objects.filter(type="BackorderStockWithdrawn", subject=b).exists()
    assert levels("KETTLE") == {"A-01": (2, 2)}


def test_under_the_priority_policy_the_vip_keeps_its_unit(api, two_waiting):
    a, b = two_waiting
    assert api.patch("/api/v1/settings", {"allocation_policy": "priority"}).status_code == 200
    r = api.post(ADJUST, {"sku": "KETTLE", "quantity": -1, "reason": "damaged"})
    assert r.status_code == 201, r.content
    (taken,) = r.json()["taken"]
    assert (taken["backorder"], taken["quantity"]) == (a, 1)
    assert [backorder(api, x)["status"] for x in (a, b)] == ["open", "ready"]


@pytest.fixture
def all_allocated(api, stock):
    """3 KETTLE at A-01, all allocated to orders placed while in stock:
    OLD takes 2, NEW (placed later) takes 1."""
    CustomerFactory(code="OLD")
    CustomerFactory(code="NEW")
    stock(ProductFactory(sku="KETTLE", list_price="20.00"), 3)
    return order(api, "OLD", ("KETTLE", 2)), order(api, "NEW", ("KETTLE", 1))


def test_lost_allocated_stock_becomes_a_backorder_of_the_newest_order(api, all_allocated):
    old, new = all_allocated
    r = api.post(ADJUST, {"sku": "KETTLE", "quantity": -1, "reason": "lost"})
    assert r.status_code == 201, r.content
    body = r.json()
    (taken,) = body["taken"]
    assert taken["order"] == new["number"] and taken["outcome"] == "backordered"
    assert taken["quantity"] == 1 and taken["backorder"] is None
    opened = Backorder.objects.get()
    assert taken["new_backorder"] == opened.number and opened.order.number == new["number"]
    line = OrderLine.objects.get(order__id=opened.order_id)
    assert (line.allocated, line.backordered) == (0, 1)
    assert levels("KETTLE") == {"A-01": (2, 2)}
    assert SalesOrder.objects.get(id=opened.order_id).status == "awaiting_backorder"
    movement = api.get("/api/v1/stock/movements?sku=KETTLE").json()["items"][0]
    assert (movement["quantity"], movement["reason"]) == (-1, "lost")


def test_lost_stock_takes_free_stock_elsewhere_before_backordering(api, all_allocated,
                                                                   stock, bulk_location):
    _, new = all_allocated
    from fillrate.catalog.models import Product

    stock(Product.objects.get(sku="KETTLE"), 1, location=bulk_location)
    r = api.post(ADJUST, {"sku": "KETTLE", "location": "A-01", "quantity": -1,
                          "reason": "damaged"})
    assert r.status_code == 201, r.content
    assert r.json()["taken"] == [{"order": new["number"], "backorder": None, "sku": "KETTLE",
                                  "quantity": 1, "outcome": "reallocated",
                                  "new_backorder": None}]
    assert levels("KETTLE") == {"A-01": (2, 2), "B-01": (1, 1)}
    assert not Backorder.objects.exists()


def test_under_the_hold_policy_lost_stock_holds_the_order(api, all_allocated):
    _, new = all_allocated
    assert api.patch("/api/v1/settings", {"oversell_policy": "hold"}).status_code == 200
    r = api.post(ADJUST, {"sku": "KETTLE", "quantity": -1, "reason": "count"})
    assert r.status_code == 201, r.content
    assert r.json()["taken"][0]["outcome"] == "held"
    held = SalesOrder.objects.get(id=int(new["number"].split("-")[1]))
    assert held.status == "on_hold"
    assert OrderLine.objects.get(order=held).unallocated == 1
    # the oversold list's decision backorders it as any oversold order
    r = api.post(f"/api/v1/orders/{new['number']}/resolve-oversold", {"action": "backorder"})
    assert r.status_code == 200, r.content


def test_lost_stock_shrinks_the_fulfillment_queued_for_it(api, all_allocated):
    old, _ = all_allocated
    assert api.patch("/api/v1/settings", {"allocation_policy": "fifo"}).status_code == 200
    queued = api.post(f"/api/v1/orders/{old['number']}/fulfil", {}).json()["number"]
    r = api.post(ADJUST, {"sku": "KETTLE", "quantity": -3, "reason": "lost"})
    assert r.status_code == 201, r.content
    body = r.json()
    assert sorted((t["order"], t["quantity"], t["outcome"]) for t in body["taken"]) == sorted(
        [(old["number"], 2, "backordered"), (all_allocated[1]["number"], 1, "backordered")])
    assert body["reduced"] == [{"fulfillment": queued, "sku": "KETTLE", "quantity": 2,
                                "cancelled": True}]
    assert Fulfillment.objects.get(id=int(queued.split("-")[1])).status == "cancelled"
    assert levels("KETTLE") == {"A-01": (0, 0)}


def test_lost_stock_beyond_on_hand_is_refused_and_changes_nothing(api, all_allocated):
    before = snapshot()
    r = api.post(ADJUST, {"sku": "KETTLE", "quantity": -4, "reason": "lost"})
    assert r.status_code == 409, r.content
    assert r.json()["error"]["code"] == "inventory.insufficient_stock"
    assert snapshot() == before

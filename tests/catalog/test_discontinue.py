"""Discontinuing a product, with and without cancelling its backorders."""

from __future__ import annotations

import pytest

from fillrate.accounts.permissions import Role
from fillrate.backorders.models import Backorder, BackorderLine
from fillrate.catalog.models import Product
from fillrate.core.errors import NotFound
from fillrate.core.models import Event
from fillrate.workflows.adjust_stock import adjust_stock_and_feed
from fillrate.workflows.discontinue import discontinue_product
from fillrate.workflows.invariants import all_problems
from tests.factories import CustomerFactory, ProductFactory
from tests.helpers import assert_error, db_state
from tests.orders.support import place, totals

URL = "/api/v1/products/{}/discontinue"


@pytest.fixture
def waiting(db, stock, pick_location):
    """MUG-1 has nothing free: BO1 (3, 2 of them allocated) and BO2 (2 of it
    plus 1 of TEA-1) wait for it; BO3 waits for TEA-1 only."""
    mug, tea = ProductFactory(sku="MUG-1"), ProductFactory(sku="TEA-1")
    first, second, third = (CustomerFactory() for _ in range(3))
    bo1 = place(first.code, ("MUG-1", 3)).backorders[0]
    bo2 = place(second.code, ("MUG-1", 2), ("TEA-1", 1)).backorders[0]
    bo3 = place(third.code, ("TEA-1", 4)).backorders[0]
    adjust_stock_and_feed(product_id=mug.id, location_id=pick_location.id, quantity=2,
                          reason="found")
    assert BackorderLine.objects.get(backorder=bo1).allocated == 2
    return {"mug": mug, "tea": tea, "bo1": bo1.number, "bo2": bo2.number, "bo3": bo3.number}


def line(number: str, sku: str) -> BackorderLine:
    return BackorderLine.objects.get(backorder_id=int(number[3:]), product__sku=sku)


def test_discontinue_alone_leaves_the_backorders_waiting(waiting):
    done = discontinue_product(sku="mug-1")
    assert done.product.discontinued and done.cancelled_backorders == []
    assert Product.objects.get(sku="MUG-1").discontinued
    assert list(Event.objects.filter(subject="MUG-1", type__startswith="Product")
                .values_list("type", "payload")) == [
        ("ProductDiscontinued", {"cancelled_backorders": []})]
    assert line(waiting["bo1"], "MUG-1").cancelled == 0
    assert not Event.objects.filter(type__startswith="BackorderCancel").exists()
    assert all_problems() == []


def test_discontinue_cancels_each_backorders_line_of_the_product(waiting):
    done = discontinue_product(sku="MUG-1", cancel_backorders=True)
    assert done.cancelled_backorders == [waiting["bo1"], waiting["bo2"]]
    bo1 = Backorder.objects.get(id=int(waiting["bo1"][3:]))
    assert (bo1.status, bo1.cancel_reason) == ("cancelled", "product_discontinued")
    # BO2 goes on waiting for its tea; only its mugs are cancelled.
    bo2 = Backorder.objects.get(id=int(waiting["bo2"][3:]))
    assert bo2.status == "open"
    assert line(waiting["bo2"], "MUG-1").cancelled == 2
    assert line(waiting["bo2"], "TEA-1").cancelled == 0
    assert line(waiting["bo3"], "TEA-1").cancelled == 0
    # One event per backorder, with the reason.
    events = list(Event.objects.filter(type__in=["BackorderLinesCancelled",
                                                 "BackorderCancelled"])
                  .values_list("subject", "type", "payload"))
    assert sorted((s, t) for s, t, _ in events) == [
        (waiting["bo1"], "BackorderCancelled"), (waiting["bo2"], "BackorderLinesCancelled")]
    assert {p["reason"] for _, _, p in events} == {"product_discontinued"}
    # The 2 mugs BO1 held are free stock now (nobody else waits for mugs).
    assert totals("MUG-1") == (2, 0)
    assert Product.objects.get(sku="MUG-1").discontinued
    assert all_problems() == []


def test_released_stock_goes_to_the_next_customer_waiting_while_cancelling(waiting):
    """BO1's 2 mugs are released first; BO2, still waiting for mugs at that
    moment, gets them, and then its own cancel frees them again."""
    discontinue_product(sku="MUG-1", cancel_backorders=True)
    assert Event.objects.filter(subject=waiting["bo2"], type="BackorderAllocated").exists()
    assert line(waiting["bo2"], "MUG-1").allocated == 0
    assert all_problems() == []


def test_discontinuing_again_writes_no_second_event(waiting):
    discontinue_product(sku="MUG-1")
    discontinue_product(sku="MUG-1")
    assert Event.objects.filter(type="ProductDiscontinued").count() == 1


def test_unknown_product(db):
    with pytest.raises(NotFound):
        discontinue_product(sku="NOPE", cancel_backorders=True)


def test_api_discontinue_with_cancel(api, waiting):
    response = api.post(URL.format("mug-1"), {"cancel_backorders": True})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["sku"] == "MUG-1" and body["discontinued"] is True
    assert body["cancelled_backorders"] == [waiting["bo1"], waiting["bo2"]]
    assert body["backordered"] == 0 and body["available"] == 2
    assert all_problems() == []


def test_api_discontinue_without_body_keeps_backorders(api, waiting):
    response = api.post(URL.format("MUG-1"))
    assert response.status_code == 200, response.content
    assert response.json()["cancelled_backorders"] == []
    assert response.json()["backordered"] == 5


@pytest.mark.parametrize(("body", "code", "field"), [
    ({"cancel_backorders": "yes"}, "request.invalid", "cancel_backorders"),
    ({"cancel": True}, "request.unknown_field", "cancel"),
])
def test_api_discontinue_refuses_bad_bodies(api, waiting, body, code, field):
    before = db_state()
    assert_error(api.post(URL.format("MUG-1"), body), 422, code, field)
    assert db_state() == before


def test_api_discontinue_unknown_product(api, db):
    assert_error(api.post(URL.format("NOPE"), {}), 404, "catalog.unknown_sku")


def test_ordering_a_discontinued_product_is_refused(api, waiting):
    api.post(URL.format("MUG-1"), {})
    customer = CustomerFactory()
    assert_error(api.post("/api/v1/orders", {"customer": customer.code,
                                             "lines": [{"sku": "mug-1", "quantity": 1}]}),
                 409, "catalog.discontinued", "lines[0].sku")


def test_sales_may_not_discontinue(make_api, waiting):
    client = make_api(Role.SALES)
    before = db_state()
    assert_error(client.post(URL.format("MUG-1"), {"cancel_backorders": True}), 403,
                 "auth.forbidden")
    assert db_state() == before

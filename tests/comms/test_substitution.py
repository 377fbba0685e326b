"""Substitution at the original price: the backorder units are cancelled
(reason `substituted`), the substitute joins the order at the original
price, allocates like any line, and the two are linked both ways."""

from __future__ import annotations

from decimal import Decimal

import pytest

from fillrate.backorders.models import Substitution
from fillrate.core.business import change_settings
from fillrate.workflows.payments import pay_order
from tests.factories import ProductFactory
from tests.orders.support import place, snapshot, totals


@pytest.fixture
def waiting(store, stock):
    """C-ACME ordered 5 GADGET at 10.00 (3 in stock): BO for 2. SPROCKET is a
    possible substitute, 5 in stock, list price 12.00."""
    stock(ProductFactory(sku="SPROCKET", list_price="12.00"), 5)
    return place("C-ACME", ("GADGET", 5))


def sub(api, number, *lines, **extra):
    return api.post(f"/api/v1/backorders/{number}/substitute",
                    {"lines": [dict(zip(("sku", "substitute_sku", "quantity"), x, strict=True))
                               for x in lines], **extra})


def test_the_substitute_joins_the_order_at_the_original_price_linked_both_ways(api, waiting):
    number, bo = waiting.order.number, waiting.backorders[0].number
    r = sub(api, bo, ("GADGET", "SPROCKET", 2))
    assert r.status_code == 201, r.content
    detail = r.json()
    assert (detail["status"], detail["cancel_reason"]) == ("cancelled", "substituted")
    assert detail["lines"][0]["cancelled"] == 2
    (s,) = detail["substitutions"]
    assert (s["sku"], s["substitute_sku"], s["quantity"], s["unit_price"], s["status"],
            s["order"], s["order_line"]) == ("GADGET", "SPROCKET", 2, "10.00", "applied",
                                             number, 2)
    order = api.get(f"/api/v1/orders/{number}").json()
    gadget, sprocket = order["lines"]
    assert (sprocket["sku"], sprocket["quantity"], sprocket["allocated"],
            sprocket["unit_price"]) == ("SPROCKET", 2, 2, "10.00")
    assert sprocket["substitute_for"] == {"backorder": bo, "sku": "GADGET"}
    assert gadget["substitutes"] == [{"backorder": bo, "line": 2, "sku": "SPROCKET",
                                      "quantity": 2}]
    assert (gadget["backordered"], gadget["cancelled"]) == (0, 2)
    assert totals("SPROCKET") == (5, 2)
    events = [e["type"] for e in detail["events"]]
    assert "BackorderSubstituted" in events


def test_part_of_a_line_at_a_given_price_and_a_short_substitute_is_backordered(api, waiting,
                                                                               store):
    bo = waiting.backorders[0].number
    r = api.post(f"/api/v1/backorders/{bo}/substitute", {"lines": [
        {"sku": "gadget", "substitute_sku": "BOLT", "quantity": 1, "unit_price": "8.50"}]})
    assert r.status_code == 201, r.content
    detail = r.json()
    assert detail["status"] == "open" and detail["lines"][0]["open_quantity"] == 1
    order = api.get(f"/api/v1/orders/{waiting.order.number}").json()
    bolt = order["lines"][-1]
    # BOLT has no stock: the substitute line is backordered like any line.
    assert (bolt["sku"], bolt["unit_price"], bolt["allocated"], bolt["backordered"]) == (
        "BOLT", "8.50", 0, 1)
    assert [b["number"] for b in order["backorders"]][-1] != bo
    assert len(order["backorders"]) == 2


def test_a_cheaper_substitute_for_paid_units_credits_the_difference(api, store, stock):
    stock(ProductFactory(sku="SPROCKET", list_price="12.00"), 5)
    change_settings(changes={"charge_backorders_on_shipment": False})
    placed = place("C-ACME", ("GADGET", 5))
    pay_order(number=placed.order.number)
    r = api.post(f"/api/v1/backorders/{placed.backorders[0].number}/substitute", {"lines": [
        {"sku": "GADGET", "substitute_sku": "SPROCKET", "quantity": 2, "unit_price": "7.00"}]})
    assert r.status_code == 201, r.content
    order = api.get(f"/api/v1/orders/{placed.order.number}").json()
    assert [(c["amount"], c["reason"]) for c in order["credits"]] == [("6.00", "substituted")]
    assert order["amount_due"] == "0.00"


def test_a_proposal_moves_nothing_until_accepted(api, waiting):
    bo = waiting.backorders[0].number
    before = snapshot()
    r = sub(api, bo, ("GADGET", "SPROCKET", 2), propose=True)
    assert r.status_code == 201, r.content
    assert [(s["status"], s["order_line"]) for s in r.json()["substitutions"]] == [
        ("proposed", None)]
    after = snapshot()
    assert {k: v for k, v in after.items() if k != "events"} == {
        k: v for k, v in before.items() if k != "events"}
    # A new proposal replaces the earlier one.
    sub(api, bo, ("GADGET", "SPROCKET", 1), propose=True)
    assert list(Substitution.objects.values_list("status", "quantity")) == [
        ("withdrawn", 2), ("proposed", 1)]


@pytest.mark.parametrize(("lines", "status", "code", "field"), [
    ([], 422, "backorders.no_lines", "lines"),
    ([{"sku": "GADGET", "substitute_sku": "SPROCKET", "quantity": 3}], 422,
     "backorders.invalid_quantity", "lines[0].quantity"),
    ([{"sku": "GADGET", "substitute_sku": "SPROCKET", "quantity": 0}], 422, None,
     "lines[0].quantity"),
    ([{"sku": "WIDGET", "substitute_sku": "SPROCKET", "quantity": 1}], 422,
     "backorders.unknown_line", "lines[0].sku"),
    ([{"sku": "GADGET", "substitute_sku": "NOPE", "quantity": 1}], 404,
     "catalog.unknown_sku", "lines[0].substitute_sku"),
    ([{"sku": "GADGET", "substitute_sku": "gadget", "quantity": 1}], 422,
     "backorders.same_product", "lines[0].substitute_sku"),
    ([{"sku": "GADGET", "substitute_sku": "SPROCKET", "quantity": 1, "unit_price": "-1"}],
     422, "backorders.invalid_price", "lines[0].unit_price"),
    ([{"sku": "GADGET", "substitute_sku": "SPROCKET", "quantity": 1, "colour": "red"}],
     422, "request.unknown_field", "lines[0].colour"),
    ([{"sku": "GADGET", "substitute_sku": "SPROCKET", "quantity": 1},
      {"sku": "GADGET", "substitute_sku": "BOLT", "quantity": 2}], 422,
     "backorders.invalid_quantity", "lines[1].quantity"),
])
def test_bad_substitutions_change_nothing(api, waiting, lines, status, code, field):
    before = snapshot(), Substitution.objects.count()
    r = api.post(f"/api/v1/backorders/{waiting.backorders[0].number}/substitute",
                 {"lines": lines})
    assert r.status_code == status, r.content
    error = r.json()["error"]
    assert error["field"] == field
    if code:
        assert error["code"] == code
    assert (snapshot(), Substitution.objects.count()) == before


def test_a_closed_backorder_cannot_be_substituted(api, waiting):
    bo = waiting.backorders[0].number
    api.post(f"/api/v1/backorders/{bo}/cancel", {"reason": "customer_requested"})
    before = snapshot()
    r = sub(api, bo, ("GADGET", "SPROCKET", 1))
    assert r.status_code == 409 and r.json()["error"]["code"] == "backorders.closed"
    assert snapshot() == before


def test_the_pages_show_the_link_both_ways(admin_web, api, waiting):
    bo = waiting.backorders[0].number
    sub(api, bo, ("GADGET", "SPROCKET", 2))
    backorder_page = admin_web.get(f"/backorders/{bo}/").content.decode()
    assert "Substitutes" in backorder_page and "SPROCKET" in backorder_page
    order_page = admin_web.get(f"/orders/{waiting.order.number}/").content.decode()
    assert f'substitute for GADGET on <a href="/backorders/{bo}/">{bo}</a>' in order_page
    assert "2 replaced by SPROCKET (line 2)" in order_page


def test_the_backorder_page_proposes_and_substitutes(admin_web, waiting):
    bo = waiting.backorders[0].number
    url = f"/backorders/{bo}/substitute/"
    before = snapshot()
    for form, message in [
        ({"sku": "GADGET", "substitute_sku": "", "quantity": "1"}, "Enter the SKU"),
        ({"sku": "GADGET", "substitute_sku": "SPROCKET", "quantity": "x"}, "whole number"),
        ({"sku": "GADGET", "substitute_sku": "SPROCKET", "quantity": "9"}, "cannot substitute"),
        ({"sku": "GADGET", "substitute_sku": "NOPE", "quantity": "1"}, "no product with SKU"),
        ({"sku": "GADGET", "substitute_sku": "SPROCKET", "quantity": "1", "unit_price": "-2"},
         "Enter a price"),
    ]:
        body = admin_web.post(url, {**form, "action": "apply"}).content.decode()
        assert message in body, form
    assert snapshot() == before and not Substitution.objects.exists()
    admin_web.post(url, {"sku": "GADGET", "substitute_sku": "SPROCKET", "quantity": "2",
                         "action": "propose"})
    page = admin_web.get(f"/backorders/{bo}/").content.decode()
    assert "proposed to the customer" in page
    admin_web.post(url, {"sku": "GADGET", "substitute_sku": "SPROCKET", "quantity": "1",
                         "unit_price": "9.00", "action": "apply"})
    assert list(Substitution.objects.values_list("status", "quantity", "unit_price")) == [
        ("proposed", 2, Decimal("10.00")), ("applied", 1, Decimal("9.00"))]

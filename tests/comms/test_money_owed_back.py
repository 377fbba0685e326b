"""Money owed back: a credit for every paid-for unit taken away (each cancel
path), refunds against credits, the QuickBooks credit-memo CSV."""

from __future__ import annotations

import csv
import io
import re
from decimal import Decimal

import pytest

from fillrate.core.business import change_settings
from fillrate.orders.models import Credit, Refund
from fillrate.workflows.payments import pay_order
from tests.orders.support import place, snapshot

D = Decimal


@pytest.fixture
def paid_in_full(store):
    """SO for 5 GADGET (3 in stock, 2 backordered) at 10.00 and 2 BOLT (none
    in stock) at 1.50, paid in full (backorders charged at once)."""
    change_settings(changes={"charge_backorders_on_shipment": False})
    placed = place("C-ACME", ("GADGET", 5), ("BOLT", 2))
    pay_order(number=placed.order.number)
    return placed


def order(api, number):
    r = api.get(f"/api/v1/orders/{number}")
    assert r.status_code == 200, r.content
    return r.json()


def test_cancelling_a_paid_backorder_credits_its_value_and_nothing_is_due(api, paid_in_full):
    number, bo = paid_in_full.order.number, paid_in_full.backorders[0].number
    assert order(api, number)["amount_paid"] == "53.00"
    r = api.post(f"/api/v1/backorders/{bo}/cancel", {"reason": "customer_requested"})
    assert r.status_code == 200, r.content
    body = order(api, number)
    credit = Credit.objects.get()
    assert re.fullmatch(r"CN-\d{6}", credit.number)
    assert body["credits"] == [{"number": credit.number, "order": number, "amount": "23.00",
                                "reason": "backorder_cancelled",
                                "source": f"{bo} customer_requested",
                                "created_at": body["credits"][0]["created_at"]}]
    assert (body["credited"], body["refunded"], body["owed_back"], body["amount_due"]) == (
        "23.00", "0.00", "23.00", "0.00")


def test_cancelling_part_of_a_backorder_credits_only_those_units(api, paid_in_full):
    bo = paid_in_full.backorders[0].number
    r = api.post(f"/api/v1/backorders/{bo}/cancel",
                 {"reason": "excessive_delay", "lines": [{"sku": "BOLT", "quantity": 1}]})
    assert r.status_code == 200, r.content
    assert [(c.amount, c.reason) for c in Credit.objects.all()] == [
        (D("1.50"), "backorder_cancelled")]


def test_cancelling_a_paid_order_credits_everything_not_shipped(api, paid_in_full):
    number = paid_in_full.order.number
    assert api.post(f"/api/v1/orders/{number}/cancel", {}).status_code == 200
    body = order(api, number)
    assert [(c["amount"], c["reason"]) for c in body["credits"]] == [("53.00",
                                                                       "order_cancelled")]
    assert body["amount_due"] == "0.00" and body["owed_back"] == "53.00"


def test_an_unpaid_order_is_owed_nothing(api, store):
    placed = place("C-ACME", ("GADGET", 5))
    api.post(f"/api/v1/orders/{placed.order.number}/cancel", {})
    assert not Credit.objects.exists()
    assert order(api, placed.order.number)["owed_back"] == "0.00"


def test_backordered_units_not_yet_charged_owe_nothing_back_when_cancelled(api, store):
    # charge_backorders_on_shipment (the default): the customer paid for the
    # 3 GADGET in stock only, so cancelling the 2 on backorder owes nothing.
    placed = place("C-ACME", ("GADGET", 5))
    pay_order(number=placed.order.number)
    assert order(api, placed.order.number)["amount_paid"] == "30.00"
    api.post(f"/api/v1/backorders/{placed.backorders[0].number}/cancel",
             {"reason": "customer_requested"})
    assert not Credit.objects.exists()
    assert order(api, placed.order.number)["amount_due"] == "0.00"


def test_refunds_pay_credits_back_and_never_more(api, paid_in_full):
    number, bo = paid_in_full.order.number, paid_in_full.backorders[0].number
    url = f"/api/v1/orders/{number}/refunds"
    nothing = api.post(url, {"amount": "1.00", "method": "card"})
    assert nothing.status_code == 409 and nothing.json()["error"]["code"] == "orders.nothing_owed"
    api.post(f"/api/v1/backorders/{bo}/cancel", {"reason": "customer_requested"})
    r = api.post(url, {"amount": "20.00", "method": "card", "reference": "ch_123"})
    assert r.status_code == 201, r.content
    body = r.json()
    assert [(x["number"], x["amount"], x["method"], x["reference"]) for x in body["refunds"]] == [
        (Refund.objects.get().number, "20.00", "card", "ch_123")]
    assert re.fullmatch(r"RF-\d{6}", Refund.objects.get().number)
    assert (body["refunded"], body["owed_back"], body["amount_due"]) == ("20.00", "3.00", "0.00")

    before = snapshot(), Refund.objects.count()
    for payload, status, code, field in [
        ({"amount": "3.01", "method": "card"}, 409, "orders.refund_exceeds_credit", "amount"),
        ({"amount": "1.00", "method": "bitcoin"}, 422, "orders.invalid_refund_method",
         "method"),
        ({"amount": "0", "method": "card"}, 422, "orders.invalid_amount", "amount"),
        ({"amount": "-1", "method": "card"}, 422, "orders.invalid_amount", "amount"),
        ({"amount": "1e3", "method": "card"}, 422, None, "amount"),
        ({"method": "card"}, 422, None, "amount"),
        ({"amount": "1.00", "method": "card", "typo": 1}, 422, "request.unknown_field", "typo"),
    ]:
        bad = api.post(url, payload)
        assert bad.status_code == status, (payload, bad.content)
        error = bad.json()["error"]
        assert field in (error.get("field") or ""), (payload, error)
        if code:
            assert error["code"] == code
    assert (snapshot(), Refund.objects.count()) == before
    assert api.post("/api/v1/orders/SO-999999/refunds",
                    {"amount": "1.00", "method": "card"}).status_code == 404


def test_credits_export_as_quickbooks_credit_memos(api, paid_in_full):
    api.post(f"/api/v1/backorders/{paid_in_full.backorders[0].number}/cancel",
             {"reason": "customer_requested"})
    listed = api.get("/api/v1/credits", {"customer": "C-ACME"}).json()
    assert listed["count"] == 1 and listed["items"][0]["customer"] == "C-ACME"
    assert api.get("/api/v1/credits", {"customer": "C-VIP"}).json()["count"] == 0
    r = api.get("/api/v1/credits", {"format": "csv"})
    assert r.status_code == 200 and r["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.content.decode())))
    credit = Credit.objects.get()
    assert rows == [{
        "Credit Memo No": credit.number, "Customer": credit.order.customer.name,
        "Credit Memo Date": credit.created_at.strftime("%m/%d/%Y"),
        "Product/Service": "Backorder credit",
        "Product/Service Description":
            f"{paid_in_full.order.number}: backordered items cancelled "
            f"({paid_in_full.backorders[0].number} customer_requested)",
        "Product/Service Quantity": "1", "Product/Service Rate": "23.00",
        "Product/Service Amount": "23.00", "Memo": f"Order {paid_in_full.order.number}"}]
    bad = api.get("/api/v1/credits", {"format": "xml"})
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "format"
    bad = api.get("/api/v1/credits", {"order": "nonsense"})
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "order"


def test_the_order_and_customer_pages_show_credits_and_record_refunds(admin_web, api,
                                                                      paid_in_full):
    number, bo = paid_in_full.order.number, paid_in_full.backorders[0].number
    api.post(f"/api/v1/backorders/{bo}/cancel", {"reason": "customer_requested"})
    page = admin_web.get(f"/orders/{number}/").content.decode()
    credit = Credit.objects.get().number
    assert credit in page and 'id="refund-form"' in page
    before = snapshot(), Refund.objects.count()
    for form in ({"amount": "lots", "method": "card"}, {"amount": "99.00", "method": "card"},
                 {"amount": "1.00", "method": "barter"}):
        admin_web.post(f"/orders/{number}/refunds/", form)
    assert (snapshot(), Refund.objects.count()) == before
    done = admin_web.post(f"/orders/{number}/refunds/",
                          {"amount": "23.00", "method": "bank_transfer"}, follow=True)
    body = done.content.decode()
    refund = Refund.objects.get().number
    assert "Refund of 23.00 recorded" in body and refund in body
    assert 'id="refund-form"' not in body  # nothing is owed back any more
    customer = admin_web.get("/customers/C-ACME/").content.decode()
    assert credit in customer and refund in customer
    assert "owed back $0.00 of $23.00 credited" in customer


def test_cancelling_a_paid_oversold_shortfall_credits_it(api, store):
    change_settings(changes={"oversell_policy": "hold"})
    placed = place("C-ACME", ("GADGET", 5))  # 3 in stock: on hold, 2 short
    pay_order(number=placed.order.number)
    assert order(api, placed.order.number)["amount_paid"] == "50.00"
    r = api.post(f"/api/v1/orders/{placed.order.number}/resolve-oversold", {"action": "cancel"})
    assert r.status_code == 200, r.content
    assert [(c.amount, c.reason) for c in Credit.objects.all()] == [
        (D("20.00"), "shortfall_cancelled")]
    body = order(api, placed.order.number)
    assert (body["owed_back"], body["amount_due"]) == ("20.00", "0.00")


def test_fillrate_check_finds_paid_units_taken_away_without_a_credit(paid_in_full):
    from django.db import transaction

    from fillrate.backorders.models import BackorderLine
    from fillrate.backorders.services import (
        cancel_backorder_units,
        lock_backorder,
        refresh_backorder_status,
    )
    from fillrate.orders import services as orders
    from fillrate.orders.money import credit_overpayment
    from fillrate.workflows.invariants import money_problems

    number = paid_in_full.order.number
    assert money_problems() == []
    with transaction.atomic():  # a cancel path that forgets the credit
        backorder = lock_backorder(paid_in_full.backorders[0].number)
        lines = list(BackorderLine.objects.filter(backorder=backorder))
        by_id = {x.id: x for x in orders.lines_of(backorder.order_id, lock=True)}
        cancel_backorder_units(backorder=backorder, lines=lines, order_lines=by_id,
                               quantities={x.id: x.open_quantity for x in lines})
        refresh_backorder_status(backorder, lines)
    assert money_problems() == [
        f"{number}: paid 53.00, credited 0.00, refunded 0.00, units still coming worth 30.00"]
    credit_overpayment(order_id=paid_in_full.order.id, reason="backorder_cancelled")
    assert money_problems() == []

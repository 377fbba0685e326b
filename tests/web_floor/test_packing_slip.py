"""The printable packing slip: what is in the box and what is still on
backorder with its expected date (seeds 001 and 003)."""

from __future__ import annotations

import datetime as dt

import pytest

from fillrate.accounts.permissions import Role
from fillrate.backorders.models import Backorder
from fillrate.workflows.fulfil import fulfil_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def boxed(short_order):
    """10 kettles (7 in stock) and 2 presses: 7 + 2 in the box, 3 kettles on
    backorder, expected on 2027-01-15 (set by hand)."""
    Backorder.objects.filter(id=short_order.backorders[0].id).update(
        expected_date=dt.date(2027, 1, 15), expected_date_manual=True)
    return fulfil_order(number=short_order.order.number, actor_id=None)


def test_the_slip_lists_the_box_and_what_is_still_on_backorder(login, boxed, short_order):
    response = login(Role.WAREHOUSE).get(f"/fulfillments/{boxed.number}/packing-slip/")
    assert response.status_code == 200
    html = response.content.decode()
    box = html.split('id="slip-box"')[1].split("</table>")[0]
    assert "KIT-KET-GOO" in box and "<td class=\"num\">7</td>" in box
    assert "KIT-FRN-3" in box and "<td class=\"num\">2</td>" in box
    waiting = html.split('id="slip-backorder"')[1].split("</table>")[0]
    assert short_order.backorders[0].number in waiting
    assert "<td class=\"num\">3</td>" in waiting and "2027-01-15" in waiting
    assert "Bean There Coffee" in html and short_order.order.number in html
    assert "<script" not in html


def test_a_slip_without_anything_on_backorder_says_so(login, shop):
    from fillrate.orders.services import LineInput
    from fillrate.workflows.place_order import place_order

    placed = place_order(customer="C-WHARF", lines=[LineInput("KIT-FRN-3", 2)])
    made = fulfil_order(number=placed.order.number, actor_id=None)
    html = login(Role.SALES).get(f"/fulfillments/{made.number}/packing-slip/").content.decode()
    assert 'id="slip-backorder-none"' in html and 'id="slip-backorder"' not in html


def test_an_unknown_fulfillment_has_no_slip(login, db):
    response = login(Role.WAREHOUSE).get("/fulfillments/FF-999999/packing-slip/")
    assert response.status_code == 404


def test_the_slip_needs_a_login(client, boxed):
    response = client.get(f"/fulfillments/{boxed.number}/packing-slip/")
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_the_api_serves_the_same_slip(make_api, boxed, short_order):
    api = make_api(Role.SALES)
    response = api.get(f"/api/v1/fulfillments/{boxed.number}/packing-slip")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assert 'id="slip-box"' in html and short_order.backorders[0].number in html
    missing = api.get("/api/v1/fulfillments/FF-999999/packing-slip")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "fulfilment.not_found"

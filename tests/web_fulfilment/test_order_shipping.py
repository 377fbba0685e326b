"""The order page's "Ship what is allocated": the order's own held units go
on one fulfillment; the button is there only when there is something to ship."""

from __future__ import annotations

import pytest

from fillrate.accounts.permissions import Role
from fillrate.fulfilment.models import Fulfillment
from fillrate.workflows.oversold import hold_order
from tests.fulfilment.support import lines_of
from tests.helpers import db_state

pytestmark = pytest.mark.django_db

BUTTON = "Ship what is allocated</button>"


def test_ships_the_order_s_own_allocated_units_once(admin_web, short_order):
    number = short_order.order.number
    assert BUTTON in admin_web.get(f"/orders/{number}/").content.decode()
    response = admin_web.post(f"/orders/{number}/fulfil/")
    assert response.status_code == 302 and response["Location"] == f"/orders/{number}/"
    (made,) = Fulfillment.objects.all()
    # 7 kettles held for the order itself and 2 presses; the 3 backordered wait
    assert lines_of(made) == [("KIT-KET-GOO", 7, False), ("KIT-FRN-3", 2, False)]
    body = admin_web.get(response["Location"]).content.decode()
    assert f'<a href="/fulfillments/{made.number}/">{made.number}</a>' in body
    assert BUTTON not in body  # everything held is on the fulfillment now


def test_nothing_to_ship_is_refused_and_changes_nothing(admin_web, short_order):
    number = short_order.order.number
    hold_order(number=number)
    assert BUTTON not in admin_web.get(f"/orders/{number}/").content.decode()
    before = db_state()
    response = admin_web.post(f"/orders/{number}/fulfil/", follow=True)
    assert db_state() == before
    assert "cannot ship now" in response.content.decode()


def test_sales_may_not_ship(login, short_order):
    client = login(Role.SALES)
    number = short_order.order.number
    assert BUTTON not in client.get(f"/orders/{number}/").content.decode()
    before = db_state()
    assert client.post(f"/orders/{number}/fulfil/").status_code == 403
    assert db_state() == before


def test_the_order_page_lists_its_fulfillments_and_invoices(admin_web, short_order):
    from fillrate.fulfilment.models import Invoice
    from fillrate.workflows.dispatch import dispatch_fulfillment
    from fillrate.workflows.fulfil import fulfil_order

    number = short_order.order.number
    body = admin_web.get(f"/orders/{number}/").content.decode()
    assert "Nothing has been fulfilled yet." in body
    assert "each dispatch gets its own invoice" in body

    made = fulfil_order(number=number)
    dispatch_fulfillment(number=made.number, carrier="DPD", tracking_number="1550-99")
    invoice = Invoice.objects.get()
    response = admin_web.get(f"/orders/{number}/")
    body = response.content.decode()
    assert [(f.number, units) for f, units in response.context["fulfillments"]] == [
        (made.number, 9)]
    assert f'<a href="/fulfillments/{made.number}/">{made.number}</a>' in body
    assert "Dispatched</span>" in body and "DPD" in body and "1550-99" in body
    assert f'<a href="/invoices/{invoice.number}/">{invoice.number}</a>' in body
    assert f"${invoice.total:,.2f}" in body
    assert invoice.due_date.isoformat() in body

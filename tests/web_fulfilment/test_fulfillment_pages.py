"""Fulfillment list and detail: filters, the dispatch form (which writes the
invoice), cancel and mark delivered."""

from __future__ import annotations

import pytest

from fillrate.backorders.models import BackorderLine
from fillrate.fulfilment.models import Fulfillment, Invoice
from fillrate.inventory.selectors import product_with_stock
from fillrate.workflows.dispatch import dispatch_fulfillment
from fillrate.workflows.fulfil import FulfilLine, fulfil_backorder
from tests.helpers import db_state

pytestmark = pytest.mark.django_db


@pytest.fixture
def queued(waiting) -> Fulfillment:
    """2 of C-BEAN's 5 allocated beans on a queued fulfillment."""
    return fulfil_backorder(number=waiting.bean.number, lines=[FulfilLine("COF-ESP-1KG", 2)])


def test_list_shows_rows_and_filters_by_status_order_and_backorder(admin_web, waiting, queued):
    other = fulfil_backorder(number=waiting.wharf.number)
    dispatch_fulfillment(number=other.number)

    def listed(**params):
        response = admin_web.get("/fulfillments/", params)
        assert response.status_code == 200
        return [f.number for f, _ in response.context["rows"]]

    assert listed() == [other.number, queued.number]
    assert listed(status="queued") == [queued.number]
    assert listed(status="dispatched") == [other.number]
    assert listed(order=waiting.wharf_order.number) == [other.number]
    assert listed(backorder=waiting.bean.number) == [queued.number]
    assert listed(order="SO-999999") == []
    body = admin_web.get("/fulfillments/").content.decode()
    invoice = Invoice.objects.get()
    assert f'<a href="/invoices/{invoice.number}/">{invoice.number}</a>' in body
    assert f'<a href="/backorders/{waiting.bean.number}/">' in body
    bad = admin_web.get("/fulfillments/", {"status": "lost"})
    assert bad.context["rows"] == []
    assert "status is one of queued" in bad.content.decode()


def test_detail_shows_lines_status_and_the_dispatch_form(admin_web, waiting, queued):
    response = admin_web.get(f"/fulfillments/{queued.number}/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "Queued</span>" in body
    assert [(x.product.sku, x.quantity, bo) for x, bo in response.context["lines"]] == [
        ("COF-ESP-1KG", 2, waiting.bean.number)]
    assert f'action="/fulfillments/{queued.number}/dispatch/"' in body
    assert 'name="carrier"' in body and 'name="tracking_number"' in body
    assert "Cancel fulfillment" in body and "Mark delivered" not in body
    assert "Fulfillment queued" in body


def test_dispatch_ships_the_units_and_writes_an_invoice(admin_web, waiting, queued):
    response = admin_web.post(f"/fulfillments/{queued.number}/dispatch/",
                              {"carrier": "DHL", "tracking_number": "JD014600"})
    assert response.status_code == 302
    assert response["Location"] == f"/fulfillments/{queued.number}/"
    queued.refresh_from_db()
    assert (queued.status, queued.carrier, queued.tracking_number) == (
        "dispatched", "DHL", "JD014600")
    line = BackorderLine.objects.get(backorder_id=waiting.bean.id)
    assert (line.allocated, line.fulfilled) == (3, 2)
    beans = product_with_stock("COF-ESP-1KG")
    assert (beans.on_hand, beans.allocated) == (5, 5)
    invoice = Invoice.objects.get()
    assert invoice.fulfillment_id == queued.id
    assert [(x.quantity, x.rate, x.amount) for x in invoice.lines.all()] == [
        (2, line.unit_price, 2 * line.unit_price)]
    body = admin_web.get(response["Location"]).content.decode()
    assert f'invoice <a href="/invoices/{invoice.number}/">{invoice.number}</a> issued' in body
    assert "Dispatched</span>" in body and "JD014600" in body
    assert 'name="carrier"' not in body  # no second dispatch
    assert "Mark delivered" in body and "Cancel fulfillment" not in body


def test_a_refused_dispatch_is_shown_on_the_form_and_changes_nothing(admin_web, waiting,
                                                                     queued):
    before = db_state()
    too_long = admin_web.post(f"/fulfillments/{queued.number}/dispatch/",
                              {"carrier": "x" * 101, "tracking_number": "T1"})
    assert too_long.status_code == 200
    assert too_long.context["dispatch"]["errors"] == {"carrier": "At most 100 characters."}
    assert 'value="T1"' in too_long.content.decode()
    assert db_state() == before

    admin_web.post(f"/fulfillments/{queued.number}/cancel/")
    before = db_state()
    refused = admin_web.post(f"/fulfillments/{queued.number}/dispatch/", {"carrier": "DHL"})
    assert refused.status_code == 200
    assert db_state() == before
    assert Invoice.objects.count() == 0
    assert (f"{queued.number} is cancelled already: this dispatch was not recorded."
            in refused.content.decode())


def test_a_second_dispatch_from_a_stale_tab_says_it_was_not_recorded(admin_web, waiting,
                                                                      queued):
    admin_web.post(f"/fulfillments/{queued.number}/dispatch/", {"carrier": "UPS"})
    before = db_state()
    stale = admin_web.post(f"/fulfillments/{queued.number}/dispatch/",
                           {"carrier": "FedEx", "tracking_number": "999"})
    assert stale.status_code == 200 and db_state() == before
    body = stale.content.decode()
    assert f"{queued.number} is dispatched already: this dispatch was not recorded." in body
    assert Invoice.objects.count() == 1


def test_cancel_keeps_the_units_allocated_and_deliver_follows_dispatch(admin_web, waiting,
                                                                       queued):
    response = admin_web.post(f"/fulfillments/{queued.number}/cancel/")
    assert response.status_code == 302
    queued.refresh_from_db()
    assert queued.status == "cancelled"
    assert BackorderLine.objects.get(backorder_id=waiting.bean.id).allocated == 5
    assert "its units stay allocated" in admin_web.get(response["Location"]).content.decode()

    again = fulfil_backorder(number=waiting.bean.number)
    dispatch_fulfillment(number=again.number)
    admin_web.post(f"/fulfillments/{again.number}/deliver/")
    again.refresh_from_db()
    assert again.status == "delivered" and again.delivered_at is not None

    before = db_state()
    refused = admin_web.post(f"/fulfillments/{again.number}/cancel/", follow=True)
    assert db_state() == before
    assert "flash error" in refused.content.decode()


def test_an_unknown_fulfillment_is_404(admin_web, db):
    assert admin_web.get("/fulfillments/FF-000042/").status_code == 404
    assert admin_web.post("/fulfillments/FF-000042/dispatch/").status_code == 404
    assert admin_web.post("/fulfillments/nonsense/cancel/").status_code == 404

"""Suppliers and purchase orders through the API: round trips, filters, the
expected date, ordering a draft, cancelling; every refused request changes
nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from fillrate.accounts.permissions import Role
from fillrate.core.models import Event
from fillrate.purchasing.models import PurchaseOrder
from tests.helpers import assert_error, db_state

SUPPLIERS = "/api/v1/suppliers"
POS = "/api/v1/purchase-orders"


def create(api, **body):
    body = {"supplier": "ACME-SUP", "lines": [{"sku": "WIDGET", "quantity": 10}], **body}
    response = api.post(POS, body)
    assert response.status_code == 201, response.content
    return response.json()


# -- suppliers ------------------------------------------------------------------


def test_a_supplier_round_trip(api, db):
    r = api.post(SUPPLIERS, {"code": "NORD", "name": "Nordic Kettles",
                             "email": "sales@nordic.test", "lead_time_days": 21})
    assert r.status_code == 201, r.content
    assert r.json() == {"code": "NORD", "name": "Nordic Kettles", "email": "sales@nordic.test",
                        "lead_time_days": 21}
    api.post(SUPPLIERS, {"code": "ALPHA", "name": "Alpha"})
    listed = api.get(SUPPLIERS, {"limit": 1}).json()
    assert listed["count"] == 2
    assert [s["code"] for s in listed["items"]] == ["ALPHA"]
    assert Event.objects.filter(type="SupplierCreated", subject="NORD").count() == 1


@pytest.mark.parametrize(("body", "status", "code", "field"), [
    ({"code": "acme-sup", "name": "Again"}, 409, "purchasing.duplicate_supplier", "code"),
    ({"code": "TWO WORDS", "name": "X"}, 422, "purchasing.invalid_code", "code"),
    ({"code": "NEW", "name": "  "}, 422, "purchasing.invalid_name", "name"),
    ({"code": "NEW", "name": "X", "email": "not-an-email"}, 422, "purchasing.invalid_email",
     "email"),
    ({"code": "NEW", "name": "X", "lead_time_days": -1}, 422, "purchasing.invalid_lead_time",
     "lead_time_days"),
    ({"code": "NEW", "name": "X", "lead_time_days": 99999}, 422,
     "purchasing.invalid_lead_time", "lead_time_days"),
    ({"name": "X"}, 422, "request.invalid", "code"),
])
def test_refused_suppliers_change_nothing(api, buying, body, status, code, field):
    before = db_state()
    assert_error(api.post(SUPPLIERS, body), status, code, field=field)
    assert db_state() == before


# -- creating ---------------------------------------------------------------------


def test_a_purchase_order_round_trip(api, buying):
    body = create(api, expected_date="2030-05-01", notes="spring restock", lines=[
        {"sku": "WIDGET", "quantity": 10, "unit_cost": "2.50"},
        {"sku": "GADGET", "quantity": 3}])
    assert body["number"] == f"PO-{PurchaseOrder.objects.get().pk:06d}"
    assert (body["status"], body["supplier"], body["supplier_name"]) == (
        "ordered", "ACME-SUP", "Acme Supplies")
    assert (body["expected_date"], body["notes"]) == ("2030-05-01", "spring restock")
    assert body["ordered_at"] is not None and body["cancelled_at"] is None
    assert [(x["line_no"], x["sku"], x["ordered"], x["received"], x["outstanding"],
             x["unit_cost"]) for x in body["lines"]] == [
        (1, "WIDGET", 10, 0, 10, "2.50"), (2, "GADGET", 3, 0, 3, None)]
    assert (body["ordered"], body["received"], body["outstanding"]) == (13, 0, 13)
    assert [e["type"] for e in body["events"]] == ["PurchaseOrderCreated"]
    assert body["events"][0]["payload"]["lines"] == [{"sku": "WIDGET", "quantity": 10},
                                                     {"sku": "GADGET", "quantity": 3}]
    assert body.pop("warnings") == []  # only a write answers with warnings
    assert api.get(f"{POS}/{body['number']}").json() == body
    # the number is found however it is written
    assert api.get(f"{POS}/po-{PurchaseOrder.objects.get().pk}").json()["number"] == \
        body["number"]


def test_without_an_expected_date_it_is_due_after_the_suppliers_lead_time(api, buying):
    body = create(api)
    assert body["expected_date"] == str(timezone.localdate() + dt.timedelta(days=10))


def test_a_draft_is_not_incoming_until_it_is_ordered(api, buying):
    body = create(api, status="draft")
    assert (body["status"], body["ordered_at"]) == ("draft", None)
    assert api.get("/api/v1/products/WIDGET").json()["incoming"] == 0
    r = api.post(f"{POS}/{body['number']}/order")
    assert r.status_code == 200, r.content
    assert r.json()["status"] == "ordered" and r.json()["ordered_at"]
    assert api.get("/api/v1/products/WIDGET").json()["incoming"] == 10
    before = db_state()
    assert_error(api.post(f"{POS}/{body['number']}/order"), 409,
                 "purchasing.invalid_transition", field="status")
    assert db_state() == before
    assert [e["type"] for e in api.get(f"{POS}/{body['number']}").json()["events"]] == [
        "PurchaseOrderCreated", "PurchaseOrderOrdered"]


@pytest.mark.parametrize(("body", "status", "code", "field"), [
    ({"supplier": "NOPE"}, 404, "purchasing.unknown_supplier", "supplier"),
    ({"lines": []}, 422, "purchasing.no_lines", "lines"),
    ({"lines": [{"sku": "NOPE", "quantity": 1}]}, 404, "catalog.unknown_sku", "lines[0].sku"),
    ({"lines": [{"sku": "WIDGET", "quantity": 1}, {"sku": "GADGET", "quantity": 0}]}, 422,
     "purchasing.invalid_quantity", "lines[1].quantity"),
    ({"lines": [{"sku": "WIDGET", "quantity": -3}]}, 422, "purchasing.invalid_quantity",
     "lines[0].quantity"),
    ({"lines": [{"sku": "WIDGET", "quantity": 2**31}]}, 422, "purchasing.invalid_quantity",
     "lines[0].quantity"),
    ({"lines": [{"sku": "WIDGET", "quantity": 1, "unit_cost": "-1.00"}]}, 422,
     "purchasing.invalid_cost", "lines[0].unit_cost"),
    ({"lines": [{"sku": "WIDGET", "quantity": 1}, {"sku": "widget", "quantity": 2}]}, 422,
     "purchasing.duplicate_sku", "lines[1].sku"),
    ({"status": "received"}, 422, "purchasing.invalid_status", "status"),
    ({"expected_date": "someday"}, 422, "request.invalid", "expected_date"),
    ({"lines": [{"sku": "WIDGET", "quantity": 1.5}]}, 422, "request.invalid",
     "lines[0].quantity"),
])
def test_refused_purchase_orders_change_nothing(api, buying, body, status, code, field):
    before = db_state()
    full = {"supplier": "ACME-SUP", "lines": [{"sku": "WIDGET", "quantity": 1}], **body}
    assert_error(api.post(POS, full), status, code, field=field)
    assert db_state() == before


def test_a_discontinued_product_cannot_be_bought(api, buying):
    buying.gadget.discontinued = True
    buying.gadget.save()
    before = db_state()
    assert_error(api.post(POS, {"supplier": "ACME-SUP", "lines": [
        {"sku": "GADGET", "quantity": 1}]}), 409, "catalog.discontinued", field="lines[0].sku")
    assert db_state() == before


# -- reading ----------------------------------------------------------------------


def test_the_list_filters_by_status_supplier_and_sku_newest_first(api, buying):
    api.post(SUPPLIERS, {"code": "OTHER", "name": "Other"})
    first = create(api)["number"]
    second = create(api, lines=[{"sku": "GADGET", "quantity": 2}])["number"]
    third = create(api, supplier="OTHER", status="draft")["number"]

    def numbers(**params):
        body = api.get(POS, params).json()
        assert body["count"] == len(body["items"])
        return [x["number"] for x in body["items"]]

    assert numbers() == [third, second, first]
    assert numbers(status="draft") == [third]
    assert numbers(status="ordered") == [second, first]
    assert numbers(supplier="ACME-SUP") == [second, first]
    assert numbers(sku="WIDGET") == [third, first]
    assert numbers(sku="GADGET", supplier="ACME-SUP") == [second]
    assert numbers(sku="NOPE") == []
    row = api.get(POS, {"limit": 1, "offset": 2}).json()
    assert row["count"] == 3 and [x["number"] for x in row["items"]] == [first]
    assert row["items"][0] == {
        "number": first, "status": "ordered", "supplier": "ACME-SUP",
        "supplier_name": "Acme Supplies", "expected_date": row["items"][0]["expected_date"],
        "created_at": row["items"][0]["created_at"], "ordered": 10, "received": 0,
        "outstanding": 10}
    assert_error(api.get(POS, {"status": "lost"}), 422, "purchasing.invalid_filter",
                 field="status")


@pytest.mark.parametrize("number", ["PO-999999", "SO-000001", "nonsense", "PO-" + "9" * 30])
def test_unknown_purchase_orders_are_404_everywhere(api, buying, number):
    before = db_state()
    assert_error(api.get(f"{POS}/{number}"), 404, "purchasing.not_found")
    assert_error(api.patch(f"{POS}/{number}", {"expected_date": "2030-01-01"}), 404,
                 "purchasing.not_found")
    assert_error(api.post(f"{POS}/{number}/cancel"), 404, "purchasing.not_found")
    assert_error(api.post(f"{POS}/{number}/order"), 404, "purchasing.not_found")
    assert_error(api.post(f"{POS}/{number}/receipts", {"lines": [
        {"sku": "WIDGET", "quantity": 1}]}), 404, "purchasing.not_found")
    assert db_state() == before


# -- expected date ---------------------------------------------------------------


def test_changing_the_expected_date_writes_one_event_per_change(api, buying):
    number = create(api, expected_date="2030-05-01")["number"]
    r = api.patch(f"{POS}/{number}", {"expected_date": "2030-06-15"})
    assert r.status_code == 200, r.content
    assert r.json()["expected_date"] == "2030-06-15"
    api.patch(f"{POS}/{number}", {"expected_date": "2030-06-15"})  # unchanged: no event
    events = Event.objects.filter(type="PurchaseOrderExpectedDateChanged", subject=number)
    assert [e.payload for e in events] == [{"old": "2030-05-01", "new": "2030-06-15"}]
    assert events[0].actor.username == "administrator-user"


@pytest.mark.parametrize(("body", "code"), [
    ({"expected_date": None}, "purchasing.invalid_expected_date"),
    ({"expected_date": "2030-02-30"}, "request.invalid"),
    ({}, "request.invalid"),
])
def test_a_bad_expected_date_changes_nothing(api, buying, body, code):
    number = create(api)["number"]
    before = db_state()
    assert_error(api.patch(f"{POS}/{number}", body), 422, code, field="expected_date")
    assert db_state() == before


# -- cancelling -------------------------------------------------------------------


@pytest.mark.parametrize("status", ["draft", "ordered"])
def test_cancelling_closes_everything_outstanding(api, buying, status):
    number = create(api, status=status)["number"]
    r = api.post(f"{POS}/{number}/cancel", {"reason": "supplier discontinued it"})
    assert r.status_code == 200, r.content
    body = r.json()
    assert (body["status"], body["outstanding"]) == ("cancelled", 0)
    assert body["cancelled_at"] is not None
    assert [(x["ordered"], x["received"], x["cancelled"], x["outstanding"])
            for x in body["lines"]] == [(10, 0, 10, 0)]
    (event,) = Event.objects.filter(type="PurchaseOrderCancelled", subject=number)
    assert event.payload == {"previous_status": status, "reason": "supplier discontinued it",
                             "closed": [{"sku": "WIDGET", "quantity": 10}]}
    assert api.get("/api/v1/products/WIDGET").json()["incoming"] == 0


def test_a_closed_purchase_order_cannot_be_cancelled_or_redated(api, buying):
    number = create(api)["number"]
    api.post(f"{POS}/{number}/cancel")
    before = db_state()
    assert_error(api.post(f"{POS}/{number}/cancel"), 409, "purchasing.invalid_transition",
                 field="status")
    assert_error(api.patch(f"{POS}/{number}", {"expected_date": "2030-01-01"}), 409,
                 "purchasing.closed", field="expected_date")
    assert_error(api.post(f"{POS}/{number}/order"), 409, "purchasing.invalid_transition")
    assert db_state() == before


def test_warehouse_staff_may_read_and_receive_but_not_buy(make_api, buying):
    warehouse = make_api(Role.WAREHOUSE)
    assert warehouse.get(POS).status_code == 200
    assert_error(warehouse.post(POS, {"supplier": "ACME-SUP", "lines": [
        {"sku": "WIDGET", "quantity": 1}]}), 403, "auth.forbidden")

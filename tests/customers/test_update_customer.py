"""Changing a customer's master data: the service and `PATCH /customers/{code}`."""

from __future__ import annotations

import pytest

from fillrate.accounts.permissions import Role
from fillrate.core.errors import InvalidValue, NotFound
from fillrate.core.models import Event
from fillrate.customers.models import Customer
from fillrate.customers.services import update_customer
from tests.factories import CustomerFactory, SalesRepFactory
from tests.helpers import assert_error, db_state

URL = "/api/v1/customers/{}"


def changes_of(code: str) -> list[dict]:
    return [e.payload for e in Event.objects.filter(type="CustomerUpdated", subject=code)
            .order_by("id")]


def test_update_writes_one_event_per_changed_field(db):
    SalesRepFactory(code="REP-A")
    SalesRepFactory(code="REP-B")
    CustomerFactory(code="C-1", name="Bean", email="a@bean.test", sales_rep=None)
    customer = update_customer(code="C-1", changes={
        "name": "Bean There", "email": "a@bean.test", "vip": True, "sales_rep": "REP-A",
        "delivery_address": "1 High St", "payment_terms": "net 30", "phone": "555 0100"})
    assert customer.sales_rep.code == "REP-A" and customer.vip
    assert changes_of("C-1") == [
        {"field": "name", "old": "Bean", "new": "Bean There"},
        {"field": "vip", "old": False, "new": True},
        {"field": "sales_rep", "old": None, "new": "REP-A"},
        {"field": "delivery_address", "old": "", "new": "1 High St"},
        {"field": "payment_terms", "old": "", "new": "net 30"},
        {"field": "phone", "old": "", "new": "555 0100"},
    ]
    update_customer(code="C-1", changes={"sales_rep": "REP-B"})
    update_customer(code="C-1", changes={"sales_rep": None})
    assert changes_of("C-1")[-2:] == [{"field": "sales_rep", "old": "REP-A", "new": "REP-B"},
                                      {"field": "sales_rep", "old": "REP-B", "new": None}]
    assert Customer.objects.get(code="C-1").sales_rep is None


@pytest.mark.parametrize(("changes", "error", "code", "field"), [
    ({"name": " "}, InvalidValue, "customers.invalid_name", "name"),
    ({"email": "not-an-email"}, InvalidValue, "customers.invalid_email", "email"),
    ({"vip": "yes"}, InvalidValue, "customers.invalid_value", "vip"),
    ({"code": "C-2"}, InvalidValue, "customers.not_editable", "code"),
    ({"sales_rep": "NOBODY"}, NotFound, "customers.unknown_sales_rep", "sales_rep"),
    ({"name": "Fine", "sales_rep": "NOBODY"}, NotFound, "customers.unknown_sales_rep",
     "sales_rep"),
])
def test_bad_changes_change_nothing(db, changes, error, code, field):
    CustomerFactory(code="C-1", name="Bean")
    before = db_state(), list(Customer.objects.values())
    with pytest.raises(error) as caught:
        update_customer(code="C-1", changes=changes)
    assert (caught.value.code, caught.value.field) == (code, field)
    assert (db_state(), list(Customer.objects.values())) == before


def test_patch(api, db):
    SalesRepFactory(code="REP-A", name="Chloe")
    CustomerFactory(code="C-1", name="Bean")
    response = api.patch(URL.format("C-1"), {"vip": True, "sales_rep": "REP-A",
                                             "payment_terms": "net 30"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["vip"], body["sales_rep"], body["payment_terms"], body["name"]) == (
        True, "REP-A", "net 30", "Bean")
    assert len(changes_of("C-1")) == 3


@pytest.mark.parametrize(("body", "status", "code", "field"), [
    ({"sales_rep": "NOBODY"}, 404, "customers.unknown_sales_rep", "sales_rep"),
    ({"email": "nope"}, 422, "customers.invalid_email", "email"),
    ({"vip": "true"}, 422, "request.invalid", "vip"),
    ({"code": "C-9"}, 422, "request.unknown_field", "code"),
    ({"favourite_colour": "red"}, 422, "request.unknown_field", "favourite_colour"),
])
def test_patch_refusals_change_nothing(api, db, body, status, code, field):
    CustomerFactory(code="C-1", name="Bean")
    before = db_state(), list(Customer.objects.values())
    assert_error(api.patch(URL.format("C-1"), body), status, code, field)
    assert (db_state(), list(Customer.objects.values())) == before


def test_patch_unknown_customer(api, db):
    assert_error(api.patch(URL.format("NOPE"), {"name": "x"}), 404,
                 "customers.unknown_customer")


def test_warehouse_may_not_change_customers(make_api, db):
    CustomerFactory(code="C-1", name="Bean")
    client = make_api(Role.WAREHOUSE)
    before = db_state(), list(Customer.objects.values())
    assert_error(client.patch(URL.format("C-1"), {"name": "x"}), 403, "auth.forbidden")
    assert (db_state(), list(Customer.objects.values())) == before

"""Changing a supplier: the service, `GET` and `PATCH /suppliers/{code}`."""

from __future__ import annotations

import pytest

from fillrate.accounts.permissions import Role
from fillrate.core.errors import InvalidValue
from fillrate.core.models import Event
from fillrate.purchasing.models import Supplier
from fillrate.purchasing.services import create_supplier
from fillrate.purchasing.suppliers import update_supplier
from tests.helpers import assert_error, db_state

URL = "/api/v1/suppliers/{}"


@pytest.fixture
def supplier(db):
    return create_supplier(code="SUP", name="Supplies", email="a@sup.test", lead_time_days=7)


def test_update_writes_one_event_per_changed_field(supplier):
    update_supplier(code="SUP", changes={"name": "Supplies Ltd", "lead_time_days": 10,
                                         "email": "a@sup.test"})
    assert [e.payload for e in Event.objects.filter(type="SupplierUpdated").order_by("id")] == [
        {"field": "name", "old": "Supplies", "new": "Supplies Ltd"},
        {"field": "lead_time_days", "old": 7, "new": 10}]


@pytest.mark.parametrize(("changes", "code", "field"), [
    ({"name": ""}, "purchasing.invalid_name", "name"),
    ({"email": "x"}, "purchasing.invalid_email", "email"),
    ({"lead_time_days": -1}, "purchasing.invalid_lead_time", "lead_time_days"),
    ({"lead_time_days": True}, "purchasing.invalid_lead_time", "lead_time_days"),
    ({"code": "X"}, "purchasing.not_editable", "code"),
])
def test_bad_changes_change_nothing(supplier, changes, code, field):
    before = db_state(), list(Supplier.objects.values())
    with pytest.raises(InvalidValue) as caught:
        update_supplier(code="SUP", changes=changes)
    assert (caught.value.code, caught.value.field) == (code, field)
    assert (db_state(), list(Supplier.objects.values())) == before


def test_get_and_patch(api, supplier):
    assert api.get(URL.format("SUP")).json()["lead_time_days"] == 7
    response = api.patch(URL.format("SUP"), {"lead_time_days": 12, "name": "New name"})
    assert response.status_code == 200, response.content
    assert response.json() == {"code": "SUP", "name": "New name", "email": "a@sup.test",
                               "lead_time_days": 12}
    assert_error(api.get(URL.format("NOPE")), 404, "purchasing.unknown_supplier")
    assert_error(api.patch(URL.format("NOPE"), {"name": "x"}), 404,
                 "purchasing.unknown_supplier")


@pytest.mark.parametrize(("body", "code", "field"), [
    ({"lead_time_days": 4000}, "purchasing.invalid_lead_time", "lead_time_days"),
    ({"lead_time_days": "3"}, "request.invalid", "lead_time_days"),
    ({"phone": "1"}, "request.unknown_field", "phone"),
])
def test_patch_refusals_change_nothing(api, supplier, body, code, field):
    before = db_state(), list(Supplier.objects.values())
    assert_error(api.patch(URL.format("SUP"), body), 422, code, field)
    assert (db_state(), list(Supplier.objects.values())) == before


@pytest.mark.parametrize("role", [Role.WAREHOUSE, Role.SALES])
def test_roles_without_purchasing_manage_are_refused(make_api, supplier, role):
    client = make_api(role)
    before = db_state(), list(Supplier.objects.values())
    assert_error(client.patch(URL.format("SUP"), {"name": "x"}), 403, "auth.forbidden")
    assert (db_state(), list(Supplier.objects.values())) == before

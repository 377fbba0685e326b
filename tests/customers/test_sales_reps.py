"""Sales reps: services and API, with the role matrix's refusals."""

from __future__ import annotations

import pytest

from fillrate.accounts.permissions import Role
from fillrate.core.errors import DomainError
from fillrate.core.models import Event
from fillrate.customers.models import SalesRep
from fillrate.customers.services import create_sales_rep, update_sales_rep
from tests.helpers import assert_error, db_state

P = "/api/v1"


def test_create_and_update_a_sales_rep_write_events(db):
    rep = create_sales_rep(code="REP-ANNA", name=" Anna ", email="anna@example.com")
    assert (rep.name, rep.email) == ("Anna", "anna@example.com")
    update_sales_rep(sales_rep_id=rep.id, changes={"email": "anna.k@example.com"})
    update_sales_rep(sales_rep_id=rep.id, changes={"name": "Anna"})  # unchanged: no event
    assert list(Event.objects.values_list("type", "payload")) == [
        ("SalesRepCreated", {"name": "Anna", "email": "anna@example.com"}),
        ("SalesRepUpdated", {"changes": {"email": ["anna@example.com", "anna.k@example.com"]}}),
    ]


@pytest.mark.parametrize(("kwargs", "code", "field"), [
    ({"code": "REP ANNA"}, "customers.invalid_sales_rep_code", "code"),
    ({"code": ""}, "customers.invalid_sales_rep_code", "code"),
    ({"name": " "}, "customers.invalid_name", "name"),
    ({"email": "not-an-email"}, "customers.invalid_email", "email"),
    ({"code": "rep-1"}, "customers.duplicate_sales_rep", "code"),
])
def test_bad_sales_reps_are_refused(kwargs, code, field, db):
    create_sales_rep(code="REP-1", name="One")
    before = db_state()
    with pytest.raises(DomainError) as exc:
        create_sales_rep(**{"code": "REP-2", "name": "Two", "email": "", **kwargs})
    assert (exc.value.code, exc.value.field) == (code, field)
    assert db_state() == before


def test_bad_changes_are_refused(db):
    rep = create_sales_rep(code="REP-1", name="One", email="one@example.com")
    for changes, code, field in (({"email": "nope"}, "customers.invalid_email", "email"),
                                 ({"code": "R"}, "customers.not_editable", "code"),
                                 ({"name": None}, "customers.invalid_name", "name")):
        with pytest.raises(DomainError) as exc:
            update_sales_rep(sales_rep_id=rep.id, changes=changes)
        assert (exc.value.code, exc.value.field) == (code, field)
    rep.refresh_from_db()
    assert (rep.name, rep.email) == ("One", "one@example.com")
    assert Event.objects.filter(type="SalesRepUpdated").count() == 0


def test_api_create_list_get_and_patch(api, db):
    response = api.post(f"{P}/sales-reps", {"code": "REP-ANNA", "name": "Anna Kowalski",
                                            "email": "anna@example.com"})
    assert response.status_code == 201, response.content
    assert response.json() == {"code": "REP-ANNA", "name": "Anna Kowalski",
                               "email": "anna@example.com", "customers": 0}
    customer = api.post(f"{P}/customers", {"code": "C-1", "name": "Bistro",
                                           "sales_rep": "REP-ANNA"})
    assert customer.status_code == 201, customer.content
    assert api.get(f"{P}/sales-reps").json() == {"items": [{
        "code": "REP-ANNA", "name": "Anna Kowalski", "email": "anna@example.com",
        "customers": 1}], "count": 1}
    patched = api.patch(f"{P}/sales-reps/REP-ANNA", {"name": "Anna K.", "email": None})
    assert patched.json() == {"code": "REP-ANNA", "name": "Anna K.", "email": "",
                              "customers": 1}
    assert api.get(f"{P}/sales-reps/REP-ANNA").json()["name"] == "Anna K."


def test_api_errors_change_nothing(api, db):
    api.post(f"{P}/sales-reps", {"code": "REP-1", "name": "One"})
    before = db_state()
    assert_error(api.post(f"{P}/sales-reps", {"code": "rep-1", "name": "Again"}), 409,
                 "customers.duplicate_sales_rep", field="code")
    assert_error(api.post(f"{P}/sales-reps", {"code": "REP-2", "name": "Two",
                                              "email": "two@"}), 422,
                 "customers.invalid_email", field="email")
    assert_error(api.get(f"{P}/sales-reps/NOPE"), 404, "customers.unknown_sales_rep")
    assert_error(api.patch(f"{P}/sales-reps/NOPE", {"name": "x"}), 404,
                 "customers.unknown_sales_rep")
    assert_error(api.patch(f"{P}/sales-reps/REP-1", {"code": "R"}), 422, "request.unknown_field",
                 field="code")
    assert db_state() == before


@pytest.mark.parametrize("role", [Role.WAREHOUSE, Role.SALES])
def test_only_administrators_and_supervisors_change_sales_reps(role, make_api, db):
    create_sales_rep(code="REP-1", name="One")
    client = make_api(role)
    assert client.get(f"{P}/sales-reps").status_code == 200
    before, events = db_state(), Event.objects.count()
    assert_error(client.post(f"{P}/sales-reps", {"code": "REP-2", "name": "Two"}), 403,
                 "auth.forbidden")
    assert_error(client.patch(f"{P}/sales-reps/REP-1", {"name": "Changed"}), 403,
                 "auth.forbidden")
    assert db_state() == before and Event.objects.count() == events
    assert SalesRep.objects.get().name == "One"
    supervisor = make_api(Role.SUPERVISOR)
    assert supervisor.patch(f"{P}/sales-reps/REP-1", {"name": "Uno"}).status_code == 200

"""The warehouses-and-locations page and the sales-reps page: who sees
what, adding and changing with errors shown next to their fields."""

from __future__ import annotations

import pytest

from fillrate.accounts.permissions import Role
from fillrate.core.models import Event
from fillrate.customers.models import SalesRep
from fillrate.customers.services import create_sales_rep
from fillrate.inventory.models import Location, Warehouse
from tests.factories import LocationFactory
from tests.helpers import db_state

pytestmark = pytest.mark.django_db


def test_the_fresh_install_s_places_are_listed(admin_web, default_warehouse, stock):
    stock(quantity=7, location=Location.objects.get(code="PICK"))
    page = admin_web.get("/locations/")
    assert page.status_code == 200
    html = page.content.decode()
    rows = html[html.index('id="location-rows"'):]
    assert rows.index(">PICK<") < rows.index(">RECV<") < rows.index(">ISSUES<")
    assert "Add location" in html and "Add warehouse" in html
    assert "Main warehouse" in html
    # PICK holds stock: its deactivate button is disabled.
    pick_row = rows[rows.index(">PICK<"):rows.index(">RECV<")]
    assert ">7<" in pick_row and "disabled" in pick_row


@pytest.mark.parametrize("role", [Role.WAREHOUSE, Role.SALES])
def test_other_roles_read_the_lists_but_cannot_change_them(login, default_warehouse, role):
    client = login(role)
    create_sales_rep(code="REP-1", name="One")
    for url in ("/locations/", "/sales-reps/"):
        page = client.get(url)
        assert page.status_code == 200
        assert "Add " not in page.content.decode()
    before, events = db_state(), Event.objects.count()
    for url, data in (
        ("/locations/new/", {"warehouse": "MAIN", "code": "Z", "kind": "pick"}),
        ("/locations/MAIN/PICK/active/", {"active": "off"}),
        ("/locations/MAIN/PICK/", {"name": "x", "kind": "pick", "pick_sequence": "1"}),
        ("/warehouses/new/", {"code": "W2", "name": "W"}),
        ("/warehouses/MAIN/", {"name": "Renamed"}),
        ("/sales-reps/new/", {"code": "REP-2", "name": "Two"}),
        ("/sales-reps/REP-1/", {"name": "Changed"}),
    ):
        assert client.post(url, data).status_code == 403, url
    assert db_state() == before and Event.objects.count() == events
    assert Warehouse.objects.get().name == "Main warehouse"
    assert Location.objects.get(code="PICK").active


def test_a_supervisor_adds_a_location(login, default_warehouse):
    client = login(Role.SUPERVISOR)
    response = client.post("/locations/new/", {
        "warehouse": "MAIN", "code": "B-01", "name": "Back racking", "kind": "bulk",
        "pick_sequence": "100", "zone": "B"}, follow=True)
    assert response.redirect_chain == [("/locations/", 302)]
    location = Location.objects.get(code="B-01")
    assert (location.kind, location.pick_sequence, location.zone, location.name) == (
        "bulk", 100, "B", "Back racking")
    assert "Location B-01 added to MAIN." in response.content.decode()


@pytest.mark.parametrize(("data", "field", "message"), [
    ({"code": ""}, "code", "without spaces"),
    ({"code": "pick"}, "code", "exists already"),
    ({"kind": "shelf"}, "kind", "kind must be one of"),
    ({"pick_sequence": "first"}, "pick_sequence", "Enter a whole number"),
    ({"pick_sequence": "-3"}, "pick_sequence", "whole number from 0"),
    ({"warehouse": "NOPE"}, "warehouse", "no warehouse"),
])
def test_a_bad_location_is_explained_next_to_its_field(admin_web, default_warehouse, data,
                                                       field, message):
    before = db_state()
    body = {"warehouse": "MAIN", "code": "A-01", "kind": "pick", "pick_sequence": "5", **data}
    response = admin_web.post("/locations/new/", body)
    assert response.status_code == 200
    assert list(response.context["le"]) == [field]
    assert message in response.context["le"][field]
    assert db_state() == before
    assert f'value="{body["code"]}"' in response.content.decode()


def test_edit_deactivate_and_reactivate_a_location(admin_web, default_warehouse):
    page = admin_web.get("/locations/MAIN/RECV/")
    assert page.status_code == 200 and 'value="900"' in page.content.decode()
    response = admin_web.post("/locations/MAIN/RECV/", {
        "name": "Dock door 2", "kind": "receiving", "pick_sequence": "950", "zone": "DOCK",
        "active": "on"})
    assert response.status_code == 302
    recv = Location.objects.get(code="RECV")
    assert (recv.name, recv.pick_sequence, recv.zone, recv.active) == (
        "Dock door 2", 950, "DOCK", True)
    admin_web.post("/locations/MAIN/RECV/active/", {"active": "off"})
    assert not Location.objects.get(code="RECV").active
    html = admin_web.get("/locations/").content.decode()
    assert "Reactivate RECV" in html
    admin_web.post("/locations/MAIN/RECV/active/", {"active": "on"})
    assert Location.objects.get(code="RECV").active


def test_a_location_holding_stock_is_not_deactivated_and_says_why(admin_web, stock):
    location = LocationFactory(code="A-01")
    stock(quantity=2, location=location)
    response = admin_web.post("/locations/MAIN/A-01/active/", {"active": "off"}, follow=True)
    assert "A-01 holds stock" in response.content.decode()
    assert Location.objects.get(code="A-01").active
    edit = admin_web.post("/locations/MAIN/A-01/", {"name": "", "kind": "pick",
                                                     "pick_sequence": "10", "zone": ""})
    assert edit.status_code == 200 and "holds stock" in edit.context["errors"]["active"]
    assert Location.objects.get(code="A-01").active


def test_unknown_locations_and_warehouses_are_404(admin_web, default_warehouse):
    assert admin_web.get("/locations/MAIN/NOPE/").status_code == 404
    assert admin_web.post("/locations/NOPE/PICK/active/", {"active": "off"}).status_code == 404
    assert admin_web.post("/warehouses/NOPE/", {"name": "x"}).status_code == 404


def test_add_and_rename_a_warehouse(admin_web, default_warehouse):
    assert admin_web.post("/warehouses/new/", {"code": "EAST", "name": "East"}).status_code \
        == 302
    admin_web.post("/warehouses/MAIN/", {"name": "Leeds"})
    assert dict(Warehouse.objects.values_list("code", "name")) == {"EAST": "East",
                                                                  "MAIN": "Leeds"}
    refused = admin_web.post("/warehouses/new/", {"code": "east", "name": "Again"})
    assert "exists already" in refused.context["we"]["code"]
    blank = admin_web.post("/warehouses/MAIN/", {"name": " "}, follow=True)
    assert "a warehouse needs a name" in blank.content.decode()
    assert Warehouse.objects.get(code="MAIN").name == "Leeds"


def test_add_and_edit_a_sales_rep(admin_web, db):
    response = admin_web.post("/sales-reps/new/", {"code": "REP-ANNA", "name": "Anna",
                                                   "email": "anna@example.com"}, follow=True)
    assert "Sales rep REP-ANNA added." in response.content.decode()
    assert "anna@example.com" in response.content.decode()
    assert admin_web.get("/sales-reps/REP-ANNA/").status_code == 200
    admin_web.post("/sales-reps/REP-ANNA/", {"name": "Anna K.", "email": ""})
    rep = SalesRep.objects.get()
    assert (rep.name, rep.email) == ("Anna K.", "")
    assert admin_web.get("/sales-reps/NOPE/").status_code == 404


@pytest.mark.parametrize(("data", "field", "message"), [
    ({"code": "REP ANNA"}, "code", "without spaces"),
    ({"name": ""}, "name", "needs a name"),
    ({"email": "anna@"}, "email", "is not an email address"),
    ({"code": "rep-1"}, "code", "exists already"),
])
def test_a_bad_sales_rep_is_explained_next_to_its_field(admin_web, db, data, field, message):
    create_sales_rep(code="REP-1", name="One")
    before = db_state()
    response = admin_web.post("/sales-reps/new/", {"code": "REP-2", "name": "Two", **data})
    assert response.status_code == 200
    assert list(response.context["errors"]) == [field]
    assert message in response.context["errors"][field]
    assert db_state() == before


def test_a_bad_sales_rep_change_changes_nothing(admin_web, db):
    create_sales_rep(code="REP-1", name="One", email="one@example.com")
    response = admin_web.post("/sales-reps/REP-1/", {"name": "Uno", "email": "nope"})
    assert "is not an email address" in response.context["errors"]["email"]
    rep = SalesRep.objects.get()
    assert (rep.name, rep.email) == ("One", "one@example.com")

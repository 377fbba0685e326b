"""The API for warehouses and locations: status codes, error codes, what a
refused request leaves behind, and that adjustments and receipts honour the
active flag."""

from __future__ import annotations

import pytest

from fillrate.accounts.permissions import Role
from fillrate.core.models import Event
from fillrate.inventory.models import Location
from tests.factories import ProductFactory
from tests.helpers import assert_error, db_state

P = "/api/v1"


def test_create_list_and_rename_warehouses(api, db):
    response = api.post(f"{P}/warehouses", {"code": "EAST", "name": "East depot"})
    assert response.status_code == 201, response.content
    assert response.json() == {"code": "EAST", "name": "East depot", "locations": 0}
    response = api.patch(f"{P}/warehouses/EAST", {"name": "East side"})
    assert response.json() == {"code": "EAST", "name": "East side", "locations": 0}
    listing = api.get(f"{P}/warehouses").json()
    assert listing == {"items": [{"code": "EAST", "name": "East side", "locations": 0}],
                       "count": 1}


def test_warehouse_errors_change_nothing(api, db):
    api.post(f"{P}/warehouses", {"code": "EAST", "name": "East"})
    before = db_state()
    assert_error(api.post(f"{P}/warehouses", {"code": "east", "name": "Again"}), 409,
                 "inventory.duplicate_warehouse", field="code")
    assert_error(api.post(f"{P}/warehouses", {"code": "A B", "name": "x"}), 422,
                 "inventory.invalid_warehouse_code", field="code")
    assert_error(api.post(f"{P}/warehouses", {"code": "WEST"}), 422, "request.invalid",
                 field="name")
    assert_error(api.patch(f"{P}/warehouses/NOPE", {"name": "x"}), 404,
                 "inventory.unknown_warehouse", field="code")
    assert_error(api.patch(f"{P}/warehouses/EAST", {"name": ""}), 422,
                 "inventory.invalid_name", field="name")
    assert db_state() == before


def test_add_a_location_and_find_it_by_filters(api, default_warehouse):
    response = api.post(f"{P}/locations", {"warehouse": "MAIN", "code": "B-01", "kind": "bulk",
                                           "pick_sequence": 100, "zone": "B",
                                           "name": "Back racking"})
    assert response.status_code == 201, response.content
    assert response.json() == {"code": "B-01", "warehouse": "MAIN", "name": "Back racking",
                               "kind": "bulk", "pick_sequence": 100, "zone": "B",
                               "active": True, "sellable": True}
    codes = [x["code"] for x in api.get(f"{P}/locations").json()["items"]]
    assert codes == ["PICK", "B-01", "RECV", "ISSUES"]
    bulk = api.get(f"{P}/locations", {"kind": "bulk", "warehouse": "MAIN"}).json()
    assert [x["code"] for x in bulk["items"]] == ["B-01"]
    issues = api.get(f"{P}/locations", {"kind": "issues"}).json()["items"]
    assert issues[0]["sellable"] is False


def test_location_errors_change_nothing(api, default_warehouse):
    before = db_state()
    body = {"warehouse": "MAIN", "code": "X-1", "kind": "pick", "pick_sequence": 5}
    assert_error(api.post(f"{P}/locations", {**body, "warehouse": "NOPE"}), 404,
                 "inventory.unknown_warehouse", field="warehouse")
    assert_error(api.post(f"{P}/locations", {**body, "code": "pick"}), 409,
                 "inventory.duplicate_location", field="code")
    assert_error(api.post(f"{P}/locations", {**body, "kind": "shelf"}), 422,
                 "inventory.unknown_location_kind", field="kind")
    assert_error(api.post(f"{P}/locations", {**body, "pick_sequence": "5"}), 422,
                 "request.invalid", field="pick_sequence")
    assert_error(api.post(f"{P}/locations", {**body, "pick_sequence": -5}), 422,
                 "inventory.invalid_pick_sequence", field="pick_sequence")
    assert_error(api.patch(f"{P}/locations/MAIN/NOPE", {"zone": "A"}), 404,
                 "inventory.unknown_location", field="location")
    assert_error(api.patch(f"{P}/locations/MAIN/PICK", {"active": "no"}), 422,
                 "request.invalid", field="active")
    assert_error(api.patch(f"{P}/locations/MAIN/PICK", {"code": "P"}), 422,
                 "request.unknown_field", field="code")
    assert db_state() == before


def test_patch_a_location(api, default_warehouse):
    response = api.patch(f"{P}/locations/MAIN/PICK",
                         {"name": "Aisle 1", "pick_sequence": 5, "zone": "A", "kind": "pick"})
    assert response.status_code == 200, response.content
    assert response.json() == {"code": "PICK", "warehouse": "MAIN", "name": "Aisle 1",
                                    "kind": "pick", "pick_sequence": 5, "zone": "A",
                                    "active": True, "sellable": True}
    assert Event.objects.filter(type="LocationUpdated").count() == 1


def test_a_location_holding_stock_cannot_be_deactivated(api, default_warehouse):
    api.post(f"{P}/products", {"sku": "WIDGET", "name": "Widget", "list_price": "2.00"})
    api.post(f"{P}/stock/adjustments", {"sku": "WIDGET", "quantity": 3, "reason": "count"})
    before = db_state()
    assert_error(api.patch(f"{P}/locations/MAIN/PICK", {"active": False}), 409,
                 "inventory.location_in_use", field="active")
    assert db_state() == before
    assert Location.objects.get(code="PICK").active


def test_an_inactive_location_is_refused_for_adjustments_and_receipts(api, default_warehouse):
    assert api.patch(f"{P}/locations/MAIN/RECV", {"active": False}).json()["active"] is False
    product = ProductFactory(sku="WIDGET")
    api.post(f"{P}/suppliers", {"code": "SUP", "name": "Supplier"})
    po = api.post(f"{P}/purchase-orders", {"supplier": "SUP",
                                           "lines": [{"sku": product.sku, "quantity": 4}]})
    number = po.json()["number"]
    before = db_state()
    assert_error(api.post(f"{P}/stock/adjustments", {"sku": "WIDGET", "location": "RECV",
                                                     "quantity": 2, "reason": "found"}),
                 409, "inventory.location_inactive", field="location")
    assert_error(api.post(f"{P}/purchase-orders/{number}/receipts",
                          {"lines": [{"sku": "WIDGET", "quantity": 4}], "location": "RECV"}),
                 409, "inventory.location_inactive", field="location")
    # Without a location a receipt has no active receiving location to go to.
    assert_error(api.post(f"{P}/purchase-orders/{number}/receipts",
                          {"lines": [{"sku": "WIDGET", "quantity": 4}]}),
                 409, "purchasing.no_receiving_location", field="location")
    assert db_state() == before
    response = api.post(f"{P}/purchase-orders/{number}/receipts",
                        {"lines": [{"sku": "WIDGET", "quantity": 4}], "location": "PICK"})
    assert response.status_code == 201, response.content


@pytest.mark.parametrize("role", [Role.WAREHOUSE, Role.SALES])
def test_warehouse_and_sales_roles_read_but_do_not_change_places(role, make_api,
                                                                  default_warehouse):
    client = make_api(role)
    assert client.get(f"{P}/locations").status_code == 200
    assert client.get(f"{P}/warehouses").status_code == 200
    before = db_state()
    events = Event.objects.count()
    assert_error(client.post(f"{P}/locations", {"warehouse": "MAIN", "code": "Z",
                                                "kind": "pick"}), 403, "auth.forbidden")
    assert_error(client.patch(f"{P}/locations/MAIN/PICK", {"active": False}), 403,
                 "auth.forbidden")
    assert_error(client.post(f"{P}/warehouses", {"code": "W2", "name": "W"}), 403,
                 "auth.forbidden")
    assert_error(client.patch(f"{P}/warehouses/MAIN", {"name": "W"}), 403, "auth.forbidden")
    assert db_state() == before and Event.objects.count() == events
    assert Location.objects.get(code="PICK").active


def test_a_supervisor_manages_places(make_api, db):
    supervisor = make_api(Role.SUPERVISOR)
    assert supervisor.post(f"{P}/warehouses", {"code": "MAIN", "name": "M"}).status_code == 201
    response = supervisor.post(f"{P}/locations", {"warehouse": "MAIN", "code": "A-01",
                                                  "kind": "pick", "pick_sequence": 1})
    assert response.status_code == 201


def test_a_retried_create_has_one_effect(api, default_warehouse):
    body = {"warehouse": "MAIN", "code": "B-02", "kind": "bulk", "pick_sequence": 110}
    first = api.post(f"{P}/locations", body, headers={"Idempotency-Key": "loc-1"})
    again = api.post(f"{P}/locations", body, headers={"Idempotency-Key": "loc-1"})
    assert (first.status_code, again.status_code) == (201, 201)
    assert again["Idempotent-Replayed"] == "true"
    assert Location.objects.filter(code="B-02").count() == 1

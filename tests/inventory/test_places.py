"""Warehouses and locations: the services, the default warehouse of a fresh
install, and inactive locations taking no new stock."""

from __future__ import annotations

import pytest

from fillrate.core.errors import DomainError
from fillrate.core.models import Event
from fillrate.inventory.models import Location, LocationKind, Warehouse
from fillrate.inventory.places import (
    create_location,
    create_warehouse,
    update_location,
    update_warehouse,
)
from fillrate.inventory.selectors import location_for_new_stock, receiving_location
from fillrate.inventory.services import adjust_stock
from tests.factories import LocationFactory, ProductFactory
from tests.helpers import db_state


def _refused(call, code: str, field: str | None):
    before = db_state()
    with pytest.raises(DomainError) as exc:
        call()
    assert (exc.value.code, exc.value.field) == (code, field)
    assert db_state() == before
    return exc.value


def test_the_default_warehouse_is_what_a_fresh_install_gets(default_warehouse):
    assert default_warehouse.name == "Main warehouse"
    rows = list(Location.objects.filter(warehouse=default_warehouse)
                .values_list("code", "kind", "pick_sequence", "active"))
    assert rows == [("PICK", "pick", 10, True), ("RECV", "receiving", 900, True),
                    ("ISSUES", "issues", 999, True)]


def test_on_a_fresh_install_stock_goes_in_without_naming_a_location(default_warehouse):
    product = ProductFactory()
    result = adjust_stock(product_id=product.id, quantity=5, reason="count")
    assert result.location == "PICK"
    assert receiving_location().code == "RECV"


def test_the_default_is_not_made_twice_nor_next_to_an_existing_warehouse(default_warehouse, db):
    import importlib
    from types import SimpleNamespace

    from django.apps import apps
    from django.db import connection

    migration = importlib.import_module("fillrate.inventory.migrations.0003_default_warehouse")
    migration.create_default_warehouse(apps, SimpleNamespace(connection=connection))
    assert Warehouse.objects.count() == 1 and Location.objects.count() == 3


def test_create_warehouse_and_location_write_events(db):
    warehouse = create_warehouse(code="EAST", name=" East depot ", actor_id=None)
    assert warehouse.name == "East depot"
    location = create_location(warehouse_id=warehouse.id, code="E-01", kind="bulk",
                               pick_sequence=50, name="Aisle E", zone="E")
    assert (location.kind, location.pick_sequence, location.zone, location.active) == (
        "bulk", 50, "E", True)
    events = list(Event.objects.values_list("type", "subject", "payload"))
    assert events == [
        ("WarehouseCreated", "EAST", {"name": "East depot"}),
        ("LocationCreated", "E-01", {"warehouse": "EAST", "kind": "bulk", "name": "Aisle E",
                                     "pick_sequence": 50, "zone": "E"}),
    ]


@pytest.mark.parametrize(("kwargs", "code", "field"), [
    ({"code": "", "name": "X"}, "inventory.invalid_warehouse_code", "code"),
    ({"code": "NO SPACE", "name": "X"}, "inventory.invalid_warehouse_code", "code"),
    ({"code": "W" * 33, "name": "X"}, "inventory.invalid_warehouse_code", "code"),
    ({"code": "WEST", "name": "  "}, "inventory.invalid_name", "name"),
    ({"code": "main", "name": "Again"}, "inventory.duplicate_warehouse", "code"),
])
def test_bad_warehouses_are_refused(kwargs, code, field, db):
    create_warehouse(code="MAIN", name="Main")
    _refused(lambda: create_warehouse(**kwargs), code, field)


@pytest.mark.parametrize(("kwargs", "code", "field"), [
    ({"code": "A 1"}, "inventory.invalid_location_code", "code"),
    ({"kind": "shelf"}, "inventory.unknown_location_kind", "kind"),
    ({"pick_sequence": -1}, "inventory.invalid_pick_sequence", "pick_sequence"),
    ({"pick_sequence": 2**31}, "inventory.invalid_pick_sequence", "pick_sequence"),
    ({"pick_sequence": True}, "inventory.invalid_pick_sequence", "pick_sequence"),
    ({"zone": "Z" * 33}, "inventory.invalid_zone", "zone"),
    ({"code": "a-01"}, "inventory.duplicate_location", "code"),
    ({"warehouse_id": 0}, "inventory.unknown_warehouse", "warehouse"),
])
def test_bad_locations_are_refused(kwargs, code, field, db):
    existing = LocationFactory(code="A-01")
    args = {"warehouse_id": existing.warehouse_id, "code": "A-02", "kind": "pick",
            "pick_sequence": 20, **kwargs}
    _refused(lambda: create_location(**args), code, field)


def test_the_same_code_may_be_used_in_another_warehouse(db):
    LocationFactory(code="A-01")
    other = create_warehouse(code="EAST", name="East")
    assert create_location(warehouse_id=other.id, code="A-01", kind="pick").code == "A-01"


def test_rename_a_warehouse(db):
    warehouse = create_warehouse(code="MAIN", name="Main warehouse")
    update_warehouse(warehouse_id=warehouse.id, changes={"name": "Leeds"})
    assert Warehouse.objects.get().name == "Leeds"
    assert Event.objects.last().payload == {"changes": {"name": ["Main warehouse", "Leeds"]}}
    _refused(lambda: update_warehouse(warehouse_id=warehouse.id, changes={"code": "LDS"}),
             "inventory.not_editable", "code")
    _refused(lambda: update_warehouse(warehouse_id=warehouse.id, changes={"name": ""}),
             "inventory.invalid_name", "name")


def test_update_a_location_records_old_and_new_values(db):
    location = LocationFactory(code="A-01", kind="pick", pick_sequence=10)
    update_location(location_id=location.id,
                    changes={"name": "Front shelf", "zone": "A", "pick_sequence": 15,
                             "kind": "bulk"})
    location.refresh_from_db()
    assert (location.name, location.zone, location.pick_sequence, location.kind) == (
        "Front shelf", "A", 15, "bulk")
    event = Event.objects.get(type="LocationUpdated")
    assert event.payload["changes"] == {"name": ["", "Front shelf"], "zone": ["", "A"],
                                        "pick_sequence": [10, 15], "kind": ["pick", "bulk"]}
    update_location(location_id=location.id, changes={"zone": "A"})
    assert Event.objects.filter(type="LocationUpdated").count() == 1, "no change, no event"


def test_a_location_holding_stock_cannot_be_deactivated_or_turned_into_the_issues_wall(stock):
    location = LocationFactory(code="A-01")
    stock(quantity=3, location=location)
    _refused(lambda: update_location(location_id=location.id, changes={"active": False}),
             "inventory.location_in_use", "active")
    _refused(lambda: update_location(location_id=location.id, changes={"kind": "issues"}),
             "inventory.location_in_use", "kind")
    update_location(location_id=location.id, changes={"kind": "bulk"})  # still sellable: fine
    assert Location.objects.get(id=location.id).kind == "bulk"


def test_an_emptied_location_can_be_deactivated_and_reactivated(stock):
    location = LocationFactory(code="A-01")
    product = stock(quantity=3, location=location)
    adjust_stock(product_id=product.id, location_id=location.id, quantity=-3, reason="lost")
    update_location(location_id=location.id, changes={"active": False})
    assert not Location.objects.get(id=location.id).active
    update_location(location_id=location.id, changes={"active": True})
    assert Location.objects.get(id=location.id).active


@pytest.mark.parametrize(("changes", "code", "field"), [
    ({"code": "X"}, "inventory.not_editable", "code"),
    ({"active": "no"}, "inventory.invalid_active", "active"),
    ({"kind": None}, "inventory.unknown_location_kind", "kind"),
    ({"pick_sequence": "5"}, "inventory.invalid_pick_sequence", "pick_sequence"),
])
def test_bad_location_changes_are_refused(changes, code, field, db):
    location = LocationFactory(code="A-01")
    _refused(lambda: update_location(location_id=location.id, changes=changes), code, field)


def test_an_unknown_location_is_404(db):
    _refused(lambda: update_location(location_id=0, changes={"zone": "A"}),
             "inventory.unknown_location", "location")


def test_inactive_locations_get_no_new_stock_by_default(db):
    first = LocationFactory(code="A-01", kind="pick", pick_sequence=10)
    second = LocationFactory(code="A-02", kind="pick", pick_sequence=20)
    recv = LocationFactory(code="RECV", kind="receiving", pick_sequence=900)
    LocationFactory(code="RECV-2", kind="receiving", pick_sequence=901)
    for loc in (first, recv):
        update_location(location_id=loc.id, changes={"active": False})
    result = adjust_stock(product_id=ProductFactory().id, quantity=4, reason="found")
    assert result.location == second.code
    assert receiving_location().code == "RECV-2"
    with pytest.raises(DomainError) as exc:
        location_for_new_stock("A-01")
    assert (exc.value.code, exc.value.status) == ("inventory.location_inactive", 409)
    assert location_for_new_stock("A-02") == second


def test_with_every_pick_location_inactive_an_adjustment_must_name_one(db):
    location = LocationFactory(code="A-01", kind=LocationKind.PICK)
    update_location(location_id=location.id, changes={"active": False})
    product = ProductFactory()
    _refused(lambda: adjust_stock(product_id=product.id, quantity=1, reason="found"),
             "inventory.no_location", "location")

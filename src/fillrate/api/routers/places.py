"""Warehouses and locations (reference data)."""

from __future__ import annotations

from ninja import Field, Query, Router, Schema

from fillrate.api.auth import actor_id, needs
from fillrate.api.pagination import PageParams, paginate
from fillrate.api.schemas import (
    MAX_QUANTITY,
    NAME,
    PLACE_CODE,
    Count,
    Filter,
    Flag,
    LocationOut,
    OneOf,
    Page,
    RequestSchema,
)
from fillrate.inventory.models import PLACE_KINDS, Location, LocationKind, Warehouse
from fillrate.inventory.places import (
    create_location,
    create_warehouse,
    update_location,
    update_warehouse,
)
from fillrate.inventory.selectors import location_in, locations, warehouse_by_code, warehouses

router = Router(tags=["warehouses and locations"])


class WarehouseIn(RequestSchema):
    code: str = Field(..., min_length=1, max_length=32, json_schema_extra=PLACE_CODE)
    name: str = Field(..., min_length=1, max_length=200, json_schema_extra=NAME)


class WarehousePatch(RequestSchema):
    PARTIAL = True
    # A field that cannot change (the code) is refused, not silently ignored.

    name: str | None = Field(None, json_schema_extra={**NAME, "maxLength": 200})


class WarehouseOut(Schema):
    code: str
    name: str
    locations: int


def render_warehouse(w: Warehouse) -> dict:
    return {"code": w.code, "name": w.name, "locations": w.location_count}


@router.post("/warehouses", response={201: WarehouseOut}, auth=needs("reference.manage"))
def post_warehouse(request, payload: WarehouseIn):
    warehouse = create_warehouse(code=payload.code, name=payload.name,
                                 actor_id=actor_id(request))
    return 201, render_warehouse(warehouse_by_code(warehouse.code))


@router.get("/warehouses", response=Page[WarehouseOut], auth=needs("reference.view"))
def list_warehouses(request, page: Query[PageParams]):
    return paginate(warehouses(), page, render_warehouse)


@router.patch("/warehouses/{code}", response=WarehouseOut, auth=needs("reference.manage"))
def patch_warehouse(request, code: str, payload: WarehousePatch):
    warehouse = warehouse_by_code(code, field="code")
    update_warehouse(warehouse_id=warehouse.id, changes=payload.dict(exclude_unset=True),
                     actor_id=actor_id(request))
    return render_warehouse(warehouse_by_code(code))


class LocationIn(RequestSchema):
    warehouse: str = Field(..., min_length=1)
    code: str = Field(..., min_length=1, max_length=32, json_schema_extra=PLACE_CODE)
    kind: OneOf(PLACE_KINDS)
    pick_sequence: Count = Field(0, json_schema_extra={"minimum": 0, "maximum": MAX_QUANTITY})
    name: str = Field("", max_length=200)
    zone: str = Field("", max_length=32)


class LocationPatch(RequestSchema):
    PARTIAL = True
    # A field that cannot change (the code) is refused, not silently ignored.

    name: str | None = None
    kind: OneOf(PLACE_KINDS) | None = None
    pick_sequence: Count | None = Field(
        None, json_schema_extra={"minimum": 0, "maximum": MAX_QUANTITY})
    zone: str | None = None
    active: Flag | None = None


class LocationFilters(Schema):
    warehouse: str | None = None
    kind: Filter(LocationKind.values) | None = None
    active: bool | None = None


def render_location(loc: Location) -> dict:
    return {"code": loc.code, "warehouse": loc.warehouse.code, "name": loc.name,
            "kind": loc.kind, "pick_sequence": loc.pick_sequence, "zone": loc.zone,
            "active": loc.active, "sellable": loc.sellable}


@router.post("/locations", response={201: LocationOut}, auth=needs("reference.manage"),
             description="Add a location to a warehouse. `kind` is `pick`, `bulk`, "
             "`receiving` or `issues`; orders take stock from sellable locations (all but "
             "`issues`) in `pick_sequence` order.")
def post_location(request, payload: LocationIn):
    warehouse = warehouse_by_code(payload.warehouse)
    location = create_location(
        warehouse_id=warehouse.id, code=payload.code, kind=payload.kind,
        pick_sequence=payload.pick_sequence, name=payload.name, zone=payload.zone,
        actor_id=actor_id(request))
    return 201, render_location(location_in(warehouse.code, location.code))


@router.get("/locations", response=Page[LocationOut], auth=needs("reference.view"))
def list_locations(request, filters: Query[LocationFilters], page: Query[PageParams]):
    return paginate(locations(**filters.dict()), page, render_location)


@router.patch("/locations/{warehouse}/{code}", response=LocationOut,
              auth=needs("reference.manage"),
              description="Change `name`, `kind`, `pick_sequence`, `zone` or `active`. An "
              "inactive location takes no new stock; one holding stock cannot be deactivated "
              "(409 `inventory.location_in_use`).")
def patch_location(request, warehouse: str, code: str, payload: LocationPatch):
    location = location_in(warehouse, code)
    update_location(location_id=location.id, changes=payload.dict(exclude_unset=True),
                    actor_id=actor_id(request))
    return render_location(location_in(warehouse, code))

"""Warehouses and locations: the places stock lives in.

Codes are short, without spaces, and compare case-insensitively (a location's
code within its warehouse). A code never changes once given; names, kinds,
pick sequences, zones and the active flag do. A location holding stock stays
active, and does not move between sellable kinds and the issues wall, so no
unit is stranded or suddenly sold from (or hidden on) the issues wall.
Every change writes an event in its transaction.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from fillrate.core.errors import Conflict, InvalidValue, NotFound
from fillrate.core.event_types import EventType
from fillrate.core.events import record_event
from fillrate.inventory.models import PLACE_KINDS, Location, LocationKind, StockLevel, Warehouse

CODE_MAX = 32
NAME_MAX = 200
ZONE_MAX = 32
MAX_PICK_SEQUENCE = 2**31 - 1
LOCATION_FIELDS = ("name", "kind", "pick_sequence", "zone", "active")


def _code(code: str, *, what: str) -> str:
    code = (code or "").strip()
    if not code or any(c.isspace() or c == "/" for c in code) or len(code) > CODE_MAX:
        raise InvalidValue(f"inventory.invalid_{what}_code",
                           f"a {what} code is 1 to {CODE_MAX} characters without spaces "
                           "or '/'",
                           field="code")
    return code


def _name(name: Any, *, required: bool) -> str:
    if not isinstance(name, str):
        raise InvalidValue("inventory.invalid_name", "name is text", field="name")
    name = name.strip()
    if required and not name:
        raise InvalidValue("inventory.invalid_name", "a warehouse needs a name", field="name")
    if len(name) > NAME_MAX:
        raise InvalidValue("inventory.invalid_name", f"name is at most {NAME_MAX} characters",
                           field="name")
    return name


def _kind(kind: Any) -> str:
    if kind not in PLACE_KINDS:
        raise InvalidValue("inventory.unknown_location_kind",
                           f"kind must be one of {', '.join(PLACE_KINDS)}", field="kind")
    return kind


def _pick_sequence(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not (
            0 <= value <= MAX_PICK_SEQUENCE):
        raise InvalidValue("inventory.invalid_pick_sequence",
                           f"pick_sequence is a whole number from 0 to {MAX_PICK_SEQUENCE}",
                           field="pick_sequence")
    return value


def _zone(zone: Any) -> str:
    if zone is None:
        return ""
    if not isinstance(zone, str) or len(zone.strip()) > ZONE_MAX:
        raise InvalidValue("inventory.invalid_zone", f"zone is at most {ZONE_MAX} characters",
                           field="zone")
    return zone.strip()


def create_warehouse(*, code: str, name: str, actor_id: int | None = None) -> Warehouse:
    """Raises 422 `inventory.invalid_warehouse_code`, `inventory.invalid_name`;
    409 `inventory.duplicate_warehouse`."""
    code = _code(code, what="warehouse")
    name = _name(name, required=True)
    with transaction.atomic():
        if Warehouse.objects.filter(code__iexact=code).exists():
            raise Conflict("inventory.duplicate_warehouse", f"warehouse {code!r} exists already",
                           field="code")
        warehouse = Warehouse.objects.create(code=code, name=name)
        record_event(type=EventType.WAREHOUSE_CREATED, subject_type="warehouse", subject=code,
                     actor_id=actor_id, payload={"name": name})
    return warehouse


def update_warehouse(*, warehouse_id: int, changes: dict[str, Any],
                     actor_id: int | None = None) -> Warehouse:
    """Rename a warehouse (`name` is the one field that changes). Raises 404
    `inventory.unknown_warehouse`, 422 `inventory.not_editable` for any other
    field and `inventory.invalid_name`."""
    unknown = sorted(set(changes) - {"name"})
    if unknown:
        raise InvalidValue("inventory.not_editable", f"{unknown[0]} cannot be changed",
                           field=unknown[0])
    with transaction.atomic():
        warehouse = Warehouse.objects.select_for_update().filter(id=warehouse_id).first()
        if warehouse is None:
            raise NotFound("inventory.unknown_warehouse", "no such warehouse", field="warehouse")
        if "name" in changes:
            name = _name(changes["name"], required=True)
            if name != warehouse.name:
                record_event(type=EventType.WAREHOUSE_UPDATED, subject_type="warehouse",
                             subject=warehouse.code, actor_id=actor_id,
                             payload={"changes": {"name": [warehouse.name, name]}})
                warehouse.name = name
                warehouse.save(update_fields=["name"])
    return warehouse


def create_location(
    *, warehouse_id: int, code: str, kind: str, pick_sequence: int = 0, name: str = "",
    zone: str = "", actor_id: int | None = None,
) -> Location:
    """Raises 404 `inventory.unknown_warehouse`; 422
    `inventory.invalid_location_code`, `inventory.unknown_location_kind`,
    `inventory.invalid_pick_sequence`, `inventory.invalid_name`,
    `inventory.invalid_zone`; 409 `inventory.duplicate_location` (codes are
    unique within a warehouse)."""
    code = _code(code, what="location")
    kind = _kind(kind)
    pick_sequence = _pick_sequence(pick_sequence)
    name = _name(name, required=False)
    zone = _zone(zone)
    with transaction.atomic():
        warehouse = Warehouse.objects.filter(id=warehouse_id).first()
        if warehouse is None:
            raise NotFound("inventory.unknown_warehouse", "no such warehouse", field="warehouse")
        if Location.objects.filter(warehouse_id=warehouse_id, code__iexact=code).exists():
            raise Conflict("inventory.duplicate_location",
                           f"location {code!r} exists already in {warehouse.code}", field="code")
        location = Location.objects.create(warehouse=warehouse, code=code, kind=kind,
                                           pick_sequence=pick_sequence, name=name, zone=zone)
        record_event(type=EventType.LOCATION_CREATED, subject_type="location", subject=code,
                     actor_id=actor_id,
                     payload={"warehouse": warehouse.code, "kind": kind, "name": name,
                              "pick_sequence": pick_sequence, "zone": zone})
    return location


def _holds_stock(location_id: int) -> bool:
    return StockLevel.objects.filter(location_id=location_id, on_hand__gt=0).exists()


def update_location(*, location_id: int, changes: dict[str, Any],
                    actor_id: int | None = None) -> Location:
    """Change a location's `name`, `kind`, `pick_sequence`, `zone` or
    `active`. An inactive location is offered for no new stock (receipts,
    adjustments, the default choices).

    Locks the location row. Raises 404 `inventory.unknown_location`; 422
    `inventory.not_editable` (any other field) and the field checks of
    `create_location`; 409 `inventory.location_in_use` when a location
    holding stock would be deactivated or moved between the issues wall and
    a sellable kind. Writes one `LocationUpdated` event with the old and new
    value of each changed field (none when nothing changed)."""
    unknown = sorted(set(changes) - set(LOCATION_FIELDS))
    if unknown:
        raise InvalidValue("inventory.not_editable", f"{unknown[0]} cannot be changed",
                           field=unknown[0])
    new: dict[str, Any] = {}
    if "name" in changes:
        new["name"] = _name(changes["name"], required=False)
    if "kind" in changes:
        new["kind"] = _kind(changes["kind"])
    if "pick_sequence" in changes:
        new["pick_sequence"] = _pick_sequence(changes["pick_sequence"])
    if "zone" in changes:
        new["zone"] = _zone(changes["zone"])
    if "active" in changes:
        if not isinstance(changes["active"], bool):
            raise InvalidValue("inventory.invalid_active", "active is true or false",
                               field="active")
        new["active"] = changes["active"]
    with transaction.atomic():
        location = (Location.objects.select_for_update(of=("self",))
                    .select_related("warehouse").filter(id=location_id).first())
        if location is None:
            raise NotFound("inventory.unknown_location", "no such location", field="location")
        if location.kind == LocationKind.TOTE:
            raise Conflict("inventory.tote_location",
                           f"{location.code} is a tote's place: it changes with the tote",
                           field="location")
        changed = {f: [getattr(location, f), v] for f, v in new.items()
                   if getattr(location, f) != v}
        if not changed:
            return location
        if new.get("active") is False and "active" in changed and _holds_stock(location.id):
            raise Conflict("inventory.location_in_use",
                           f"{location.code} holds stock: move or adjust it out before "
                           "deactivating the location", field="active")
        if "kind" in changed and (
                (new["kind"] == LocationKind.ISSUES) != (location.kind == LocationKind.ISSUES)
        ) and _holds_stock(location.id):
            raise Conflict("inventory.location_in_use",
                           f"{location.code} holds stock: it cannot move between the issues "
                           "wall and a sellable kind until it is empty", field="kind")
        for f, (_, value) in changed.items():
            setattr(location, f, value)
        location.save(update_fields=list(changed))
        record_event(type=EventType.LOCATION_UPDATED,
                     subject_type="location", subject=location.code,
                     actor_id=actor_id,
                     payload={"warehouse": location.warehouse.code, "changes": changed})
    return location


TOTE_PREFIX = "tote:"


def create_tote_location(*, warehouse_id: int, code: str) -> Location:
    """The place a new tote's stock is kept (kind `tote`, code `tote:CODE`,
    never sellable). The caller (`fillrate.picking`) has checked the code
    and writes the event that says a tote was made."""
    return Location.objects.create(warehouse_id=warehouse_id, code=f"{TOTE_PREFIX}{code}",
                                   kind=LocationKind.TOTE, name=f"tote {code}")


def issues_location(*, warehouse_id: int, actor_id: int | None = None) -> Location:
    """The warehouse's issues wall: its first active `issues` location, made
    (code `ISSUES`, with its `LocationCreated` event) when it has none."""
    wall = (Location.objects.filter(warehouse_id=warehouse_id, kind=LocationKind.ISSUES,
                                    active=True).order_by("pick_sequence", "id").first())
    if wall is not None:
        return wall
    warehouse = Warehouse.objects.get(id=warehouse_id)
    code = "ISSUES"
    n = 1
    while Location.objects.filter(warehouse_id=warehouse_id, code__iexact=code).exists():
        n += 1
        code = f"ISSUES-{n}"
    return create_location(warehouse_id=warehouse.id, code=code, kind=LocationKind.ISSUES,
                           name="issues wall", actor_id=actor_id)

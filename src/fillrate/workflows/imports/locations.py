"""Locations, created or updated by warehouse and code. A warehouse named in
the file that does not exist yet is created (its code and name are the
value given): a new site is usually loaded with its locations. A location
that holds stock keeps its kind and stays active (stock in it may be
allocated to orders; moving it to the issues wall or closing it is a
decision of the lost-stock and transfer paths, not of a file)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from django.db.models import Sum

from fillrate.core.event_types import EventType
from fillrate.core.upsert import upsert
from fillrate.inventory.models import PLACE_KINDS, Location, Warehouse
from fillrate.workflows.imports.base import Counts, Kind
from fillrate.workflows.imports.rows import Column, Errors, Row, boolean, choice, integer, text


def _warehouses() -> dict[str, int]:
    return dict(Warehouse.objects.values_list("code", "id"))


class Locations(Kind):
    name = "locations"
    event = EventType.LOCATIONS_IMPORTED
    columns = [
        Column("warehouse", text(max_length=32, required=True, spaces=False, slash=False),
               required=True),
        Column("code", text(max_length=32, required=True, slash=False), required=True),
        Column("name", text(max_length=200)),
        Column("kind", choice(PLACE_KINDS), required=True),
        Column("pick_sequence", integer(maximum=2**31 - 1, default=0)),
        Column("zone", text(max_length=32)),
        Column("active", boolean(default=True)),
    ]

    def start(self) -> dict[str, Any]:
        return {"seen": {}, "warehouses": _warehouses()}

    def check(self, chunk: list[Row], errors: Errors, state: dict[str, Any]) -> None:
        seen: dict[tuple[str, str], int] = state["seen"]
        warehouses: dict[str, int] = state["warehouses"]
        upper = {code.upper(): code for code in warehouses}
        for row in chunk:
            v = row.values
            stored = upper.get(v["warehouse"].upper())
            if stored is not None and stored != v["warehouse"]:
                errors.add(row.number, "warehouse",
                           f"warehouse {stored} exists (spelled {stored}): use that spelling")
            key = (v["warehouse"].upper(), v["code"].upper())
            if key in seen:
                errors.add(row.number, "code", f"location {v['code']} of {v['warehouse']} is "
                           f"on row {seen[key]} already")
            else:
                seen[key] = row.number
        held = self._holding_stock(chunk, warehouses)
        for row in chunk:
            v = row.values
            current = held.get((v["warehouse"], v["code"]))
            if current is None:
                continue
            kind, on_hand = current
            if kind != v["kind"]:
                errors.add(row.number, "kind", f"{v['code']} holds {on_hand} units: its kind "
                           f"stays {kind} until it is empty")
            if not v["active"]:
                errors.add(row.number, "active", f"{v['code']} holds {on_hand} units: it stays "
                           "active until it is empty")

    @staticmethod
    def _holding_stock(chunk: list[Row], warehouses: dict[str, int]
                       ) -> dict[tuple[str, str], tuple[str, int]]:
        """(warehouse, code) -> (kind, on hand) of the chunk's existing
        locations that hold stock."""
        ids = {warehouses[r.values["warehouse"]] for r in chunk
               if r.values["warehouse"] in warehouses}
        codes = {r.values["code"] for r in chunk}
        if not ids:
            return {}
        rows = (Location.objects.filter(warehouse_id__in=ids, code__in=codes)
                .annotate(units=Sum("stock_levels__on_hand"))
                .filter(units__gt=0).values_list("warehouse__code", "code", "kind", "units"))
        return {(w, c): (k, n) for w, c, k, n in rows}

    def write(self, read: Callable[[], Iterator[list[Row]]], state: dict[str, Any], *,
              actor_id: int | None, tick: Callable[[int], None]) -> Counts:
        counts = Counts()
        made = 0
        # A column the file leaves out keeps its value on existing locations.
        fields = [f for f in ("name", "kind", "pick_sequence", "zone", "active")
                  if f in state["present"]]
        for chunk in read():
            wanted = sorted({r.values["warehouse"] for r in chunk})
            warehouses = dict(Warehouse.objects.filter(code__in=wanted)
                              .values_list("code", "id"))
            missing = [code for code in wanted if code not in warehouses]
            if missing:
                Warehouse.objects.bulk_create([Warehouse(code=c, name=c) for c in missing])
                made += len(missing)
                warehouses = dict(Warehouse.objects.filter(code__in=wanted)
                                  .values_list("code", "id"))
            rows = [{"warehouse_id": warehouses[v["warehouse"]], "code": v["code"],
                     "name": v["name"], "kind": v["kind"], "pick_sequence": v["pick_sequence"],
                     "zone": v["zone"], "active": v["active"]}
                    for v in (r.values for r in chunk)]
            done = upsert(Location, keys=["warehouse_id", "code"],
                          fields=fields, rows=rows)
            counts.created += done.created
            counts.updated += done.updated
            counts.unchanged += len(rows) - done.created - done.updated
            tick(len(chunk))
        if made:
            counts.extra["warehouses_created"] = made
        return counts


"""Stock as counted: each row's quantity becomes the on-hand stock of that
SKU at that location (`fillrate.inventory.counts.count_stock`, a `counted`
movement for each difference). Stock that went up goes to waiting backorders
first (`feed_backorders`), in the same transaction."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from fillrate.catalog.models import Product
from fillrate.core.event_types import EventType
from fillrate.core.sql import fetch, table
from fillrate.inventory.counts import Count, CountBelowAllocated, count_stock
from fillrate.inventory.models import Location, StockLevel, Warehouse
from fillrate.workflows.feeding import feed_and_requeue
from fillrate.workflows.imports.base import Counts, Kind, ids_by_key, pairs_in
from fillrate.workflows.imports.rows import (
    Column,
    Errors,
    ImportFailed,
    Row,
    RowError,
    ignored,
    integer,
    text,
)


def _locations() -> tuple[dict[tuple[str, str], tuple[int, bool]], dict[str, list[str]]]:
    """(warehouse code, location code) -> (id, active); location code -> warehouses."""
    rows = fetch(f"SELECT l.id, w.code, l.code, l.active FROM {table(Location)} l "
                 f"JOIN {table(Warehouse)} w ON w.id = l.warehouse_id")
    by_pair = {(w, c): (pk, bool(active)) for pk, w, c, active in rows}
    by_code: dict[str, list[str]] = {}
    for _, w, c, _ in rows:
        by_code.setdefault(c, []).append(w)
    return by_pair, by_code


def _levels(pairs: list[tuple[int, int]]) -> dict[tuple[int, int], tuple[int, int]]:
    """(product, location) -> (on hand, allocated), unlocked: the write
    checks again under the lock."""
    if not pairs:
        return {}
    where, params = pairs_in(("product_id", "location_id"), pairs)
    rows = fetch(f"SELECT product_id, location_id, on_hand, allocated FROM {table(StockLevel)} "
                 f"WHERE {where}", params)
    return {(p, loc): (on_hand, allocated) for p, loc, on_hand, allocated in rows}


class Stock(Kind):
    name = "stock"
    event = EventType.STOCK_IMPORTED
    columns = [
        Column("sku", text(max_length=64, required=True), required=True),
        Column("warehouse", text(max_length=32)),
        Column("location", text(max_length=32, required=True), required=True),
        Column("quantity", integer(), required=True),
        Column("allocated", ignored, export_only=True),
    ]

    def start(self) -> dict[str, Any]:
        by_pair, by_code = _locations()
        return {"by_pair": by_pair, "by_code": by_code, "seen": {}, "counts": []}

    def check(self, chunk: list[Row], errors: Errors, state: dict[str, Any]) -> None:
        products = ids_by_key(Product, "sku", [r.values["sku"] for r in chunk])
        resolved: list[tuple[Row, int, int]] = []
        for row in chunk:
            v = row.values
            product_id = products.get(v["sku"])
            if product_id is None:
                errors.add(row.number, "sku", f"no product with SKU {v['sku']}")
            location = self._location(row, errors, state)
            if product_id is None or location is None:
                continue
            location_id, active = location
            first = state["seen"].get((product_id, location_id))
            if first is not None:
                errors.add(row.number, "location", f"{v['sku']} at {v['location']} is counted "
                           f"on row {first} already")
                continue
            state["seen"][(product_id, location_id)] = row.number
            resolved.append((row, product_id, location_id))
        levels = _levels([(p, loc) for _, p, loc in resolved])
        for row, product_id, location_id in resolved:
            quantity = row.values["quantity"]
            on_hand, allocated = levels.get((product_id, location_id), (0, 0))
            if quantity < allocated:
                errors.add(row.number, "quantity", f"counted {quantity}, but {allocated} are "
                           f"allocated there to orders (on hand {on_hand})")
                continue
            if quantity > on_hand and not state["by_pair"][
                    (self._warehouse(row, state), row.values["location"])][1]:
                errors.add(row.number, "location", f"{row.values['location']} is inactive: it "
                           "takes no new stock")
                continue
            state["counts"].append(Count(product_id, location_id, quantity, row.number))

    @staticmethod
    def _warehouse(row: Row, state: dict[str, Any]) -> str:
        return row.values["warehouse"] or state["by_code"][row.values["location"]][0]

    @staticmethod
    def _location(row: Row, errors: Errors, state: dict[str, Any]) -> tuple[int, bool] | None:
        code, warehouse = row.values["location"], row.values["warehouse"]
        if warehouse:
            found = state["by_pair"].get((warehouse, code))
            if found is None:
                errors.add(row.number, "location", f"no location {code} in warehouse "
                           f"{warehouse}")
            return found
        places = state["by_code"].get(code, [])
        if not places:
            errors.add(row.number, "location", f"no location {code}")
            return None
        if len(places) > 1:
            errors.add(row.number, "warehouse", f"location {code} is in {len(places)} "
                       f"warehouses ({', '.join(sorted(places))}): name the warehouse")
            return None
        return state["by_pair"][(places[0], code)]

    def write(self, read: Callable[[], Iterator[list[Row]]], state: dict[str, Any], *,
              actor_id: int | None, tick: Callable[[int], None]) -> Counts:
        counts: list[Count] = state["counts"]
        try:
            counted = count_stock(counts=counts, actor_id=actor_id, reference="stock import",
                                  note="CSV stock import")
        except CountBelowAllocated as exc:
            raise ImportFailed([RowError(ref, "quantity", message)
                                for ref, message in exc.refused]) from None
        tick(len(counts))
        fed = []
        if counted.raised_product_ids:
            fed = feed_and_requeue(product_ids=counted.raised_product_ids, actor_id=actor_id,
                                  cause="stock count")
        return Counts(created=0, updated=counted.changed, unchanged=len(counts) - counted.changed,
                      extra={"units_up": counted.units_up, "units_down": counted.units_down,
                             "backorder_lines_fed": len(fed)})

"""Master data created or updated by its code: products (by SKU), customers,
sales reps and suppliers (by code). One upsert statement per chunk (see
`fillrate.core.upsert`) and one summary event per import (`ProductsImported`
...) rather than an event per row: a catalogue of 100,000 products is one
decision of one person."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from fillrate.catalog.models import Product
from fillrate.core.event_types import EventType
from fillrate.core.upsert import upsert
from fillrate.customers.models import Customer, SalesRep
from fillrate.purchasing.models import Supplier
from fillrate.purchasing.services import MAX_LEAD_TIME_DAYS
from fillrate.workflows.imports.base import Counts, Kind, ids_by_key, spelled_otherwise
from fillrate.workflows.imports.rows import (
    Column,
    Errors,
    Row,
    boolean,
    email,
    integer,
    money,
    text,
)


class MasterKind(Kind):
    model: Any
    key: str  # the column and the model field
    what: str  # "SKU", "customer code"
    fields: list[str]  # attnames written besides the key

    def start(self) -> dict[str, Any]:
        return {"seen": {}}

    def check(self, chunk: list[Row], errors: Errors, state: dict[str, Any]) -> None:
        seen: dict[str, int] = state["seen"]
        for row in chunk:
            key = row.values[self.key]
            first = seen.get(key.upper())
            if first is not None:
                errors.add(row.number, self.key,
                           f"{self.what} {key} is on row {first} already")
            else:
                seen[key.upper()] = row.number
        other = spelled_otherwise(self.model, self.key, [r.values[self.key] for r in chunk])
        for row in chunk:
            stored = other.get(row.values[self.key])
            if stored is not None:
                errors.add(row.number, self.key, f"{self.what} {stored} exists already "
                           f"(spelled {stored}): use that spelling to update it")
        self.check_references(chunk, errors)

    def check_references(self, chunk: list[Row], errors: Errors) -> None:
        """Columns that name other records (none by default)."""

    def references(self, chunk: list[Row]) -> dict[str, Any]:
        return {}

    def to_fields(self, row: Row, refs: dict[str, Any]) -> dict[str, Any]:
        return {f: row.values[f] for f in self.fields}

    def write(self, read: Callable[[], Iterator[list[Row]]], state: dict[str, Any], *,
              actor_id: int | None, tick: Callable[[int], None]) -> Counts:
        counts = Counts()
        # A column the file leaves out keeps its value on existing records.
        fields = [f for f in self.fields if f.removesuffix("_id") in state["present"]]
        for chunk in read():
            refs = self.references(chunk)
            rows = [{self.key: r.values[self.key], **self.to_fields(r, refs)} for r in chunk]
            done = upsert(self.model, keys=[self.key], fields=fields, rows=rows)
            counts.created += done.created
            counts.updated += done.updated
            counts.unchanged += len(rows) - done.created - done.updated
            tick(len(chunk))
        return counts


class Products(MasterKind):
    name = "products"
    event = EventType.PRODUCTS_IMPORTED
    model = Product
    key = "sku"
    what = "SKU"
    fields = ["name", "upc", "variant", "category", "description", "list_price", "discontinued"]
    columns = [
        Column("sku", text(max_length=64, required=True, spaces=False), required=True),
        Column("name", text(max_length=200, required=True), required=True),
        Column("upc", text(max_length=32)),
        Column("variant", text(max_length=100)),
        Column("category", text(max_length=100)),
        Column("description", text(max_length=10_000)),
        Column("list_price", money(), required=True),
        Column("discontinued", boolean()),
    ]


class SalesReps(MasterKind):
    name = "sales-reps"
    event = EventType.SALES_REPS_IMPORTED
    model = SalesRep
    key = "code"
    what = "sales rep"
    fields = ["name", "email"]
    columns = [
        Column("code", text(max_length=32, required=True, spaces=False, slash=False),
               required=True),
        Column("name", text(max_length=200, required=True), required=True),
        Column("email", email),
    ]


class Customers(MasterKind):
    name = "customers"
    event = EventType.CUSTOMERS_IMPORTED
    model = Customer
    key = "code"
    what = "customer"
    fields = ["name", "email", "phone", "vip", "sales_rep_id", "delivery_address",
              "payment_terms"]
    columns = [
        Column("code", text(max_length=32, required=True, spaces=False), required=True),
        Column("name", text(max_length=200, required=True), required=True),
        Column("email", email),
        Column("phone", text(max_length=40)),
        Column("vip", boolean()),
        Column("sales_rep", text(max_length=32)),
        Column("delivery_address", text(max_length=2000)),
        Column("payment_terms", text(max_length=40)),
    ]

    def references(self, chunk: list[Row]) -> dict[str, Any]:
        return ids_by_key(SalesRep, "code", [r.values["sales_rep"] for r in chunk
                                             if r.values["sales_rep"]])

    def check_references(self, chunk: list[Row], errors: Errors) -> None:
        reps = self.references(chunk)
        for row in chunk:
            rep = row.values["sales_rep"]
            if rep and rep not in reps:
                errors.add(row.number, "sales_rep",
                           f"no sales rep {rep} (import sales-reps first)")

    def to_fields(self, row: Row, refs: dict[str, Any]) -> dict[str, Any]:
        v = row.values
        return {"name": v["name"], "email": v["email"], "phone": v["phone"], "vip": v["vip"],
                "sales_rep_id": refs.get(v["sales_rep"]) if v["sales_rep"] else None,
                "delivery_address": v["delivery_address"], "payment_terms": v["payment_terms"]}


class Suppliers(MasterKind):
    name = "suppliers"
    event = EventType.SUPPLIERS_IMPORTED
    model = Supplier
    key = "code"
    what = "supplier"
    fields = ["name", "email", "lead_time_days"]
    columns = [
        Column("code", text(max_length=32, required=True, spaces=False), required=True),
        Column("name", text(max_length=200, required=True), required=True),
        Column("email", email),
        Column("lead_time_days", integer(maximum=MAX_LEAD_TIME_DAYS, default=0)),
    ]

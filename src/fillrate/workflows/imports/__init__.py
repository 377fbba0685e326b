"""CSV import and export of products, customers, sales reps, suppliers,
locations, stock, orders and purchase orders (export also of backorders and
invoices). Every row is checked before anything is written; all rows or none
(`base.run_import`). The interfaces (CLI, API, web) call `run_import` with a
kind from `kind_named` and `exports.write_csv`."""

from __future__ import annotations

from fillrate.core.errors import NotFound
from fillrate.workflows.imports.base import ImportResult, Kind, run_import
from fillrate.workflows.imports.locations import Locations
from fillrate.workflows.imports.master import Customers, Products, SalesReps, Suppliers
from fillrate.workflows.imports.orders import Orders, PurchaseOrders
from fillrate.workflows.imports.rows import ImportFailed, RowError
from fillrate.workflows.imports.stock import Stock

KINDS: dict[str, Kind] = {k.name: k for k in (
    Products(), Customers(), SalesReps(), Locations(), Stock(), Suppliers(), Orders(),
    PurchaseOrders())}


def kind_named(name: str) -> Kind:
    kind = KINDS.get(name)
    if kind is None:
        raise NotFound("imports.unknown_kind",
                       f"no import of {name!r}: the kinds are {', '.join(KINDS)}", field="kind")
    return kind


def template(name: str) -> str:
    """The header row of `name`'s file (what `--template` prints)."""
    return ",".join(c.name for c in kind_named(name).import_columns())


__all__ = ["KINDS", "ImportFailed", "ImportResult", "RowError", "kind_named", "run_import",
           "template"]

"""Reorder suggestions: per product, waiting backorder units + reorder point
- available - incoming, when above zero, grouped by preferred supplier."""

from __future__ import annotations

from dataclasses import dataclass, field

from fillrate.backorders.models import ProductBacklog
from fillrate.catalog.models import Product
from fillrate.core.sql import fetch, table
from fillrate.inventory.models import SELLABLE_KINDS, Location, StockLevel
from fillrate.purchasing.models import PurchaseOrder, PurchaseOrderLine, ReorderPoint, Supplier
from fillrate.reports.backlog import OPEN_PO_SQL, OUTSTANDING
from fillrate.reports.scope import reporting


@dataclass(frozen=True)
class Suggestion:
    sku: str
    name: str
    waiting: int
    reorder_point: int
    available: int
    incoming: int
    suggested: int


@dataclass
class SupplierGroup:
    code: str  # "" for products without a preferred supplier
    name: str
    rows: list[Suggestion] = field(default_factory=list)

    @property
    def units(self) -> int:
        return sum(r.suggested for r in self.rows)


def suggestion(*, waiting: int, reorder_point: int, available: int, incoming: int) -> int:
    """Units to buy: what backorders wait for plus the reorder point, less
    what is available and on order; never below zero."""
    return max(waiting + reorder_point - max(available, 0) - incoming, 0)


def reorder_suggestions() -> list[SupplierGroup]:
    """Every product not discontinued that waiting backorders or a reorder
    point call for, in one statement; suppliers by code, products by SKU,
    the products without a preferred supplier last."""
    sellable = ", ".join(f"'{k}'" for k in SELLABLE_KINDS)
    with reporting():
        rows = fetch(f"""
            WITH w AS (
                -- waiting units per product, as kept with the lines (`backorders.totals`)
                SELECT product_id, waiting_units AS waiting FROM {table(ProductBacklog)}
                WHERE open_lines > 0),
            ps AS (
                SELECT product_id FROM w UNION
                SELECT product_id FROM {table(ReorderPoint)} WHERE reorder_point > 0),
            s AS (
                SELECT sl.product_id,
                       SUM(CASE WHEN loc.kind IN ({sellable}) THEN sl.on_hand - sl.allocated
                           ELSE 0 END) AS available
                FROM {table(StockLevel)} sl JOIN {table(Location)} loc ON loc.id = sl.location_id
                WHERE sl.product_id IN (SELECT product_id FROM ps) GROUP BY sl.product_id),
            i AS (
                SELECT pl.product_id, SUM({OUTSTANDING}) AS incoming
                FROM {table(PurchaseOrderLine)} pl
                JOIN {table(PurchaseOrder)} po ON po.id = pl.purchase_order_id
                WHERE po.status IN ({OPEN_PO_SQL})
                  AND pl.product_id IN (SELECT product_id FROM ps)
                GROUP BY pl.product_id)
            SELECT p.sku, p.name, COALESCE(w.waiting, 0), COALESCE(r.reorder_point, 0),
                   COALESCE(s.available, 0), COALESCE(i.incoming, 0), sup.code, sup.name
            FROM ps JOIN {table(Product)} p ON p.id = ps.product_id
            LEFT JOIN w ON w.product_id = ps.product_id
            LEFT JOIN {table(ReorderPoint)} r ON r.product_id = ps.product_id
            LEFT JOIN {table(Supplier)} sup ON sup.id = r.supplier_id
            LEFT JOIN s ON s.product_id = ps.product_id
            LEFT JOIN i ON i.product_id = ps.product_id
            WHERE NOT p.discontinued""")
    groups: dict[str, SupplierGroup] = {}
    for sku, name, waiting, point, available, incoming, code, sup_name in rows:
        n = suggestion(waiting=waiting, reorder_point=point, available=available,
                       incoming=incoming)
        if n <= 0:
            continue
        group = groups.setdefault(code or "", SupplierGroup(code or "", sup_name or ""))
        group.rows.append(Suggestion(sku, name, waiting, point, max(available, 0), incoming, n))
    for g in groups.values():
        g.rows.sort(key=lambda r: r.sku)
    return sorted(groups.values(), key=lambda g: (g.code == "", g.code))

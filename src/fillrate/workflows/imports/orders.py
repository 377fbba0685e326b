"""Order and purchase-order files: see `documents`."""

from __future__ import annotations

from typing import Any

from fillrate.core.event_types import EventType
from fillrate.customers.models import Customer
from fillrate.orders.models import SalesOrder
from fillrate.orders.services import LineInput
from fillrate.purchasing.models import PurchaseOrder, PurchaseOrderStatus, Supplier
from fillrate.purchasing.services import CREATABLE, PurchaseLineInput
from fillrate.workflows.imports.documents import DocumentKind
from fillrate.workflows.imports.rows import (
    Column,
    Errors,
    Row,
    boolean,
    choice,
    date,
    ignored,
    integer,
    money,
    text,
)
from fillrate.workflows.place_order import place_order
from fillrate.workflows.purchase_orders import create_purchase_order


class Orders(DocumentKind):
    name = "orders"
    event = EventType.ORDERS_IMPORTED
    key = "order"
    prefix = SalesOrder.PREFIX
    model = SalesOrder
    party_model = Customer
    party = "customer"
    header = ["customer", "reference", "hold"]
    what = "order"
    columns = [
        Column("order", text(max_length=64, required=True), required=True),
        Column("customer", text(max_length=32, required=True), required=True),
        Column("reference", text(max_length=100)),
        Column("hold", boolean()),
        Column("sku", text(max_length=64, required=True), required=True),
        Column("quantity", integer(minimum=1), required=True),
        Column("unit_price", money(allow_blank=True)),
        Column("status", ignored, export_only=True),
        Column("allocated", ignored, export_only=True),
        Column("backordered", ignored, export_only=True),
        Column("shipped", ignored, export_only=True),
        Column("cancelled", ignored, export_only=True),
    ]

    def create(self, rows: list[Row], *, actor_id: int | None) -> dict[str, int]:
        first = rows[0].values
        placed = place_order(
            customer=first["customer"], reference=first["reference"], hold=first["hold"],
            lines=[LineInput(sku=r.values["sku"], quantity=r.values["quantity"],
                             unit_price=r.values["unit_price"]) for r in rows],
            actor_id=actor_id)
        return {"lines": len(rows), "backorders_opened": len(placed.backorders)}


class PurchaseOrders(DocumentKind):
    name = "purchase-orders"
    event = EventType.PURCHASE_ORDERS_IMPORTED
    key = "purchase_order"
    prefix = PurchaseOrder.PREFIX
    model = PurchaseOrder
    party_model = Supplier
    party = "supplier"
    header = ["supplier", "expected_date", "status", "notes"]
    what = "purchase order"
    columns = [
        Column("purchase_order", text(max_length=64, required=True), required=True),
        Column("supplier", text(max_length=32, required=True), required=True),
        Column("expected_date", date()),
        # Every status reads (an export writes them); a new one is draft or ordered.
        Column("status", choice(PurchaseOrderStatus.values, default="ordered")),
        Column("notes", text(max_length=2000)),
        Column("sku", text(max_length=64, required=True), required=True),
        Column("quantity", integer(minimum=1), required=True),
        Column("unit_cost", money(allow_blank=True)),
        Column("received", ignored, export_only=True),
        Column("cancelled", ignored, export_only=True),
    ]

    def check(self, chunk: list[Row], errors: Errors, state: dict[str, Any]) -> None:
        super().check(chunk, errors, state)
        existing = self.existing_ids([r.values[self.key] for r in chunk])
        for row in chunk:
            if (row.values["status"] not in CREATABLE
                    and self.number_id(row.values[self.key]) not in existing):
                errors.add(row.number, "status",
                           f"a new purchase order is {' or '.join(CREATABLE)}")

    def create(self, rows: list[Row], *, actor_id: int | None) -> dict[str, int]:
        first = rows[0].values
        create_purchase_order(
            supplier=first["supplier"], expected_date=first["expected_date"],
            status=first["status"], notes=first["notes"],
            lines=[PurchaseLineInput(sku=r.values["sku"], quantity=r.values["quantity"],
                                     unit_cost=r.values["unit_cost"]) for r in rows],
            actor_id=actor_id)
        return {"lines": len(rows)}

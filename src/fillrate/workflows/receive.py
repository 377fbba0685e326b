"""Receiving a purchase order: stock arrives, the purchase order counts it,
and waiting backorders get it before it becomes free stock (invariant 3).

One transaction, locks in the global order (DESIGN.md): the stock levels of
the received products (all their locations, by product id then location id),
then the purchase order, then its lines. Everything is decided under those
locks, so a failed receipt changes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from fillrate.backorders.feeding import Fed, feed_backorders
from fillrate.backorders.promises import Consumed
from fillrate.catalog.selectors import require_known_sku
from fillrate.catalog.services import refuse_repeated_skus
from fillrate.core.errors import Conflict, InvalidValue, NotFound
from fillrate.core.event_types import EventType
from fillrate.core.events import record_events
from fillrate.core.numbers import MAX_QUANTITY
from fillrate.core.retry import retry_on_lock_conflict
from fillrate.core.sql import add_to_column, insert_instances
from fillrate.inventory.locks import ensure_stock_levels, lock_stock_levels
from fillrate.inventory.models import SELLABLE_KINDS, Location
from fillrate.inventory.selectors import receiving_location
from fillrate.inventory.services import StockIn, receive_stock
from fillrate.picking.services import requeue_backordered_fulfillments
from fillrate.purchasing import lifecycle
from fillrate.purchasing.models import PurchaseOrder, PurchaseOrderLine, Receipt, ReceiptLine
from fillrate.purchasing.services import (
    lock_purchase_order,
    purchase_order_id,
    record_receipt_status,
)


@dataclass(frozen=True)
class ReceiptLineInput:
    sku: str
    quantity: int


@dataclass(frozen=True)
class ReceivedStock:
    receipt: Receipt
    purchase_order: PurchaseOrder
    lines: list[ReceiptLine]
    allocations: list[Fed]


def _validate(lines: Sequence[ReceiptLineInput]) -> None:
    if not lines:
        raise InvalidValue("purchasing.no_lines", "a receipt needs at least one line",
                           field="lines")
    refuse_repeated_skus([x.sku for x in lines], code="purchasing.duplicate_sku")
    for i, line in enumerate(lines):
        if not 0 < line.quantity <= MAX_QUANTITY:
            raise InvalidValue("purchasing.invalid_quantity",
                               f"quantity is a whole number from 1 to {MAX_QUANTITY}",
                               field=f"lines[{i}].quantity")


def _location(location_id: int | None) -> Location:
    if location_id is None:
        location = receiving_location()
        if location is None:
            raise Conflict("purchasing.no_receiving_location",
                           "there is no receiving location: name a location", field="location")
        return location
    location = Location.objects.filter(id=location_id).first()
    if location is None:
        raise NotFound("inventory.unknown_location", "no such location", field="location")
    if location.kind not in SELLABLE_KINDS:
        raise InvalidValue("purchasing.unsellable_location",
                           f"{location.code} is a {location.kind} location: receive into a "
                           f"receiving, bulk or pick location", field="location")
    return location


@retry_on_lock_conflict
def receive_purchase_order(
    *, number: str, lines: Sequence[ReceiptLineInput], location_id: int | None = None,
    allow_over_receipt: bool = False, actor_id: int | None = None,
) -> ReceivedStock:
    """Record what arrived against an ordered (or partly received) purchase
    order, put it on hand at `location_id` (default: the receiving location)
    with a `received` movement per line, and hand it to waiting backorders.

    Raises 404 `purchasing.not_found`, `inventory.unknown_location`; 409
    `purchasing.not_receivable` (draft, received, cancelled),
    `purchasing.no_receiving_location`; 422 naming the field for an empty or
    duplicate line, a bad quantity, a SKU not on the order
    (`purchasing.not_on_order`) and more than is outstanding
    (`purchasing.over_receipt`) unless `allow_over_receipt`.
    """
    _validate(lines)
    po_pk = purchase_order_id(number)
    location = _location(location_id)
    po_lines = {
        line.product.sku.upper(): line
        for line in PurchaseOrderLine.objects.filter(purchase_order_id=po_pk)
        .select_related("product")
    }
    if not po_lines and not PurchaseOrder.objects.filter(id=po_pk).exists():
        raise NotFound("purchasing.not_found", f"no purchase order {number!r}")
    for i, line in enumerate(lines):
        if line.sku.strip().upper() not in po_lines:
            require_known_sku(line.sku, field=f"lines[{i}].sku")
            raise InvalidValue("purchasing.not_on_order", f"{line.sku} is not on {number}",
                               field=f"lines[{i}].sku")
    chosen = [po_lines[x.sku.strip().upper()] for x in lines]
    product_ids = sorted({x.product_id for x in chosen})

    ensure_stock_levels((pid, location.id) for pid in product_ids)
    levels = {lv.product_id: lv for lv in lock_stock_levels(product_ids=product_ids)
              if lv.location_id == location.id}
    po = lock_purchase_order(number)
    if po.status not in lifecycle.OPEN:
        hint = ": order it first" if po.status == lifecycle.DRAFT else ""
        raise Conflict("purchasing.not_receivable", f"{po.number} is {po.status}{hint}",
                       field="status")
    fresh = {x.id: x for x in PurchaseOrderLine.objects.filter(purchase_order=po)}
    for i, (line, po_line) in enumerate(zip(lines, chosen, strict=True)):
        outstanding = fresh[po_line.id].outstanding
        if line.quantity > outstanding and not allow_over_receipt:
            raise InvalidValue(
                "purchasing.over_receipt",
                f"{po_line.product.sku}: {line.quantity} is more than the {outstanding} "
                f"outstanding (set allow_over_receipt to take more than was ordered)",
                field=f"lines[{i}].quantity")
        if levels[po_line.product_id].on_hand + line.quantity > MAX_QUANTITY:
            raise InvalidValue("purchasing.invalid_quantity",
                               f"on hand cannot exceed {MAX_QUANTITY}",
                               field=f"lines[{i}].quantity")

    over = any(x.quantity > fresh[p.id].outstanding for x, p in zip(lines, chosen, strict=True))
    consumed = [Consumed(p.product_id, p.id, min(x.quantity, fresh[p.id].outstanding))
                for x, p in zip(lines, chosen, strict=True)]
    receipt = Receipt(purchase_order=po, location=location, over_receipt=over,
                      created_by_id=actor_id)
    insert_instances([receipt])
    receipt_lines = [ReceiptLine(receipt=receipt, purchase_order_line_id=p.id,
                                 product=p.product, quantity=x.quantity)
                     for x, p in zip(lines, chosen, strict=True)]
    insert_instances(receipt_lines)
    add_to_column(PurchaseOrderLine, "received", {p.id: x.quantity
                                                  for x, p in zip(lines, chosen, strict=True)})
    on_hand = receive_stock(
        rows=[StockIn(levels[p.product_id], x.quantity) for x, p in zip(lines, chosen,
                                                                          strict=True)],
        reference=po.number, note=f"receipt {receipt.number}", actor_id=actor_id)
    record_events(
        [{"type": EventType.STOCK_RECEIVED, "subject_type": "product", "subject": p.product.sku,
          "actor_id": actor_id,
          "payload": {"location": location.code, "quantity": x.quantity, "on_hand": after,
                      "purchase_order": po.number, "receipt": receipt.number}}
         for x, p, after in zip(lines, chosen, on_hand, strict=True)]
        + [{"type": EventType.PURCHASE_ORDER_RECEIVED, "subject_type": "purchase_order",
            "subject": po.number, "actor_id": actor_id,
            "payload": {"receipt": receipt.number, "location": location.code,
                        "over_receipt": over,
                        "lines": [{"sku": p.product.sku, "quantity": x.quantity}
                                  for x, p in zip(lines, chosen, strict=True)]}}])
    record_receipt_status(po, actor_id=actor_id)
    allocations = feed_backorders(product_ids=product_ids, actor_id=actor_id,
                                  cause=po.number, consumed=consumed)
    if allocations:  # a fulfillment waiting on the issues wall for them goes back to picking
        requeue_backordered_fulfillments(product_ids=product_ids, actor_id=actor_id)
    return ReceivedStock(receipt=receipt, purchase_order=po, lines=receipt_lines,
                         allocations=list(allocations))

"""Fulfillments and invoices: queueing units, taking shipped stock out of
the allocations, issuing the invoice, cancelling and delivering.

The use cases that combine these with orders and backorders live in
`fillrate.workflows.fulfil`; they take the locks in the global order (stock
levels by product id, the order, its backorders, the fulfillment, then
lines) before calling anything here.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import F, Q, Sum
from django.utils import timezone

from fillrate.backorders.models import BackorderLine
from fillrate.core.errors import NotFound
from fillrate.core.event_types import EventType
from fillrate.core.events import record_event
from fillrate.core.numbers import parse_number
from fillrate.fulfilment import lifecycle
from fillrate.fulfilment.models import Fulfillment, FulfillmentLine, Invoice, InvoiceLine
from fillrate.inventory.services import ship_stock
from fillrate.orders import services as orders
from fillrate.orders.models import OrderLine


def fulfillment_id(number: str) -> int:
    try:
        return parse_number(Fulfillment.PREFIX, number, what="fulfillment")
    except NotFound:
        raise NotFound("fulfilment.not_found", f"no fulfillment {number!r}") from None


def invoice_id(number: str) -> int:
    try:
        return parse_number(Invoice.PREFIX, number, what="invoice")
    except NotFound:
        raise NotFound("fulfilment.invoice_not_found", f"no invoice {number!r}") from None


@dataclass(frozen=True)
class Pending:
    """Units already on fulfillments that have not shipped yet."""

    own: dict[int, int]        # order line id -> the order's own units
    backorder: dict[int, int]  # backorder line id -> units


def pending_quantities(*, order_line_ids: Iterable[int]) -> Pending:
    own: dict[int, int] = defaultdict(int)
    backorder: dict[int, int] = defaultdict(int)
    rows = (FulfillmentLine.objects
            .filter(order_line_id__in=list(order_line_ids),
                    fulfillment__status__in=lifecycle.PENDING)
            .values("order_line_id", "backorder_line_id").annotate(n=Sum("quantity")))
    for row in rows:
        if row["backorder_line_id"] is None:
            own[row["order_line_id"]] += row["n"]
        else:
            backorder[row["backorder_line_id"]] += row["n"]
    return Pending(own=dict(own), backorder=dict(backorder))


def fulfillments_carrying(*, order_line_ids: Iterable[int]) -> dict[int, list[str]]:
    """The pending fulfillments carrying each order line's own units (not
    its backorders'), by number."""
    out: dict[int, set[str]] = defaultdict(set)
    for line_id, fid in (FulfillmentLine.objects
                         .filter(order_line_id__in=list(order_line_ids),
                                 backorder_line__isnull=True,
                                 fulfillment__status__in=lifecycle.PENDING)
                         .values_list("order_line_id", "fulfillment_id")):
        out[line_id].add(Fulfillment(id=fid).number)
    return {k: sorted(v) for k, v in out.items()}


@dataclass(frozen=True)
class QueueLine:
    order_line: OrderLine
    quantity: int
    backorder_line_id: int | None = None


def queue_fulfillment(
    *, order_id: int, order_number: str, lines: Sequence[QueueLine],
    backorder_id: int | None = None, backorder_number: str = "", actor_id: int | None = None,
) -> Fulfillment:
    """Put units on a new `queued` fulfillment and write `FulfillmentQueued`.
    The caller holds the order's locks and has checked that the units are
    allocated and on no other pending fulfillment."""
    fulfillment = Fulfillment.objects.create(order_id=order_id, backorder_id=backorder_id,
                                             created_by_id=actor_id)
    FulfillmentLine.objects.bulk_create([
        FulfillmentLine(fulfillment=fulfillment, order_line_id=x.order_line.id,
                        backorder_line_id=x.backorder_line_id,
                        product_id=x.order_line.product_id, quantity=x.quantity)
        for x in lines
    ])
    record_event(
        type=EventType.FULFILLMENT_QUEUED, subject_type="fulfillment", subject=fulfillment.number,
        actor_id=actor_id,
        payload={"order": order_number, "backorder": backorder_number or None,
                 "lines": [{"sku": x.order_line.product.sku, "quantity": x.quantity}
                           for x in lines]},
    )
    return fulfillment


def lock_fulfillment(fid: int) -> Fulfillment:
    """Lock the fulfillment row (after stock levels, order and backorders)."""
    row = Fulfillment.objects.select_for_update(of=("self",)).filter(id=fid).first()
    if row is None:
        raise NotFound("fulfilment.not_found", f"no fulfillment {Fulfillment(id=fid).number!r}")
    return row


def ship_allocations(per_order_line: dict[int, int], *, reference: str,
                     picked: dict[int, dict[int, int]] | None = None,
                     actor_id: int | None = None) -> dict[int, int]:
    """Units leave the warehouse: each order line's allocation rows shrink by
    its quantity and the stock goes out through
    `fillrate.inventory.services.ship_stock` (on-hand and allocated drop,
    one `shipped` movement per stock level). Units picked into totes go
    from there (`picked[stock level id][order line id]`), the rest from the
    best sellable pick location first. Expects the stock levels locked.
    Does not touch the order lines' counters. Returns the units shipped per
    stock level."""
    rest = dict(per_order_line)
    per_level: dict[int, int] = defaultdict(int)
    for level_id, lines in (picked or {}).items():
        orders.take_allocations_at(stock_level_id=level_id, line_quantities=lines)
        for line_id, units in lines.items():
            rest[line_id] -= units
            per_level[level_id] += units
    for level_id, units in orders.take_allocations(rest, best_first=True,
                                                   sellable_only=True).items():
        per_level[level_id] += units
    ship_stock(per_level=per_level, reference=reference, actor_id=actor_id)
    return dict(per_level)


NET_TERMS = re.compile(r"net\s*(\d{1,3})", re.IGNORECASE)


def due_date(invoice_date: dt.date, payment_terms: str) -> dt.date:
    """`Net 30` -> 30 days after the invoice date; anything else (prepaid,
    on receipt, blank) is due on the invoice date."""
    match = NET_TERMS.search(payment_terms or "")
    return invoice_date + dt.timedelta(days=int(match.group(1)) if match else 0)


def issue_invoice(*, fulfillment: Fulfillment, lines: Sequence[FulfillmentLine],
                  order_lines: dict[int, OrderLine], customer_id: int, payment_terms: str,
                  actor_id: int | None = None) -> Invoice:
    """One invoice for a dispatched fulfillment, one line per order line, at
    the order line's locked unit price (a backorder never costs more). Writes
    `InvoiceIssued`."""
    quantities: dict[int, int] = defaultdict(int)
    for line in lines:
        quantities[line.order_line_id] += line.quantity
    today = timezone.localdate()
    invoice_lines = []
    for ol_id in sorted(quantities):
        ol = order_lines[ol_id]
        name = f"{ol.product.name} ({ol.product.variant})" if ol.product.variant \
            else ol.product.name
        invoice_lines.append(InvoiceLine(
            order_line_id=ol_id, product_id=ol.product_id, description=name[:300],
            quantity=quantities[ol_id], rate=ol.unit_price,
            amount=ol.unit_price * quantities[ol_id]))
    total = sum((x.amount for x in invoice_lines), Decimal("0"))
    invoice = Invoice.objects.create(
        fulfillment=fulfillment, order_id=fulfillment.order_id, customer_id=customer_id,
        invoice_date=today, due_date=due_date(today, payment_terms), total=total)
    for row in invoice_lines:
        row.invoice = invoice
    InvoiceLine.objects.bulk_create(invoice_lines)
    record_event(type=EventType.INVOICE_ISSUED, subject_type="invoice", subject=invoice.number,
                 actor_id=actor_id,
                 payload={"fulfillment": fulfillment.number, "order": fulfillment.order.number,
                          "total": total, "due_date": invoice.due_date})
    return invoice


def move_fulfillment(fulfillment: Fulfillment, new: str, *, actor_id: int | None = None,
                     **fields) -> None:
    """Move a locked fulfillment to `new` (guarded by the transition table),
    stamp the matching time, save `fields` and write `Fulfillment<New>`."""
    lifecycle.check(fulfillment.status, new)
    old = fulfillment.status
    fulfillment.status = new
    stamp = {lifecycle.DISPATCHED: "dispatched_at", lifecycle.DELIVERED: "delivered_at",
             lifecycle.CANCELLED: "cancelled_at"}.get(new)
    changed = ["status", *fields]
    for name, value in fields.items():
        setattr(fulfillment, name, value)
    if stamp:
        setattr(fulfillment, stamp, timezone.now())
        changed.append(stamp)
    fulfillment.save(update_fields=changed)
    record_event(type=EventType(f"Fulfillment{new.title()}"), subject_type="fulfillment",
                 subject=fulfillment.number, actor_id=actor_id,
                 payload={"from": old, "to": new, **fields})


def cancel_pending_fulfillments(*, order_id: int, actor_id: int | None = None) -> list[str]:
    """Cancel every pending fulfillment of an order whose stock is being
    released (the order is cancelled). The caller holds the order's lock.
    Returns their numbers."""
    pending = list(Fulfillment.objects.select_for_update(of=("self",)).filter(
        order_id=order_id, status__in=lifecycle.PENDING).order_by("id"))
    for fulfillment in pending:
        move_fulfillment(fulfillment, lifecycle.CANCELLED, actor_id=actor_id)
    return [f.number for f in pending]


def cancel_uncovered_fulfillments(*, backorder_id: int, actor_id: int | None = None) -> list[str]:
    """Cancel the pending fulfillments that carry more of a backorder line
    than the line still holds (units of it were cancelled, releasing their
    stock). The caller holds the backorder's lock; fulfillments are locked
    after it, as dispatch does. Returns their numbers."""
    held = dict(BackorderLine.objects.filter(backorder_id=backorder_id)
                .values_list("id", "allocated"))
    pending = FulfillmentLine.objects.filter(backorder_line_id__in=held,
                                             fulfillment__status__in=lifecycle.PENDING)
    carried = pending.values("backorder_line_id").annotate(q=Sum("quantity"))
    short = [r["backorder_line_id"] for r in carried if r["q"] > held[r["backorder_line_id"]]]
    if not short:
        return []
    uncovered = list(Fulfillment.objects.select_for_update(of=("self",)).filter(
        id__in=pending.filter(backorder_line_id__in=short).values("fulfillment_id"))
        .order_by("id"))
    for fulfillment in uncovered:
        move_fulfillment(fulfillment, lifecycle.CANCELLED, actor_id=actor_id)
    return [f.number for f in uncovered]


@dataclass(frozen=True)
class Reduced:
    """Units taken off a pending fulfillment because they are no longer held."""

    fulfillment: str
    sku: str
    quantity: int
    cancelled: bool  # nothing was left on it, so it was cancelled


def reduce_uncovered_fulfillments(*, own_held: dict[int, int], backorder_held: dict[int, int],
                                  keep: dict[int, int] | None = None,
                                  actor_id: int | None = None) -> list[Reduced]:
    """Make the pending fulfillments carry no more of each order line's own
    units than it holds (`own_held[order line id]`) and no more of each
    backorder line's units than it holds (`backorder_held[line id]`):
    the newest fulfillment gives up units first, never the `keep[line id]`
    units of a line (already picked into a tote, so still held); one left
    empty is cancelled. Writes `FulfillmentReduced` per fulfillment that shrank.
    The caller holds the stock levels, order and backorder locks;
    fulfillments are locked here, in id order."""
    lines = list(FulfillmentLine.objects.filter(
        fulfillment__status__in=lifecycle.PENDING).filter(
        Q(order_line_id__in=list(own_held), backorder_line__isnull=True)
        | Q(backorder_line_id__in=list(backorder_held)))
        .select_related("product").order_by("-fulfillment_id", "-id"))
    if not lines:
        return []
    locked = {f.id: f for f in Fulfillment.objects.select_for_update(of=("self",)).filter(
        id__in={x.fulfillment_id for x in lines}).order_by("id")}
    carried: dict[tuple[str, int], int] = defaultdict(int)
    for x in lines:
        key = ("bo", x.backorder_line_id) if x.backorder_line_id else ("own", x.order_line_id)
        carried[key] += x.quantity
    excess = {k: v - (backorder_held if k[0] == "bo" else own_held)[k[1]]
              for k, v in carried.items()}
    shrunk: dict[int, list[tuple[FulfillmentLine, int]]] = defaultdict(list)
    for x in lines:  # newest fulfillment first
        key = ("bo", x.backorder_line_id) if x.backorder_line_id else ("own", x.order_line_id)
        take = min(max(excess[key], 0), x.quantity - (keep or {}).get(x.id, 0))
        if take:
            excess[key] -= take
            shrunk[x.fulfillment_id].append((x, take))
    out: list[Reduced] = []
    for fid in sorted(shrunk):
        gone = [x.id for x, take in shrunk[fid] if take == x.quantity]
        FulfillmentLine.objects.filter(id__in=gone).delete()
        for x, take in shrunk[fid]:
            if take < x.quantity:
                FulfillmentLine.objects.filter(id=x.id).update(quantity=F("quantity") - take)
        fulfillment = locked[fid]
        empty = not FulfillmentLine.objects.filter(fulfillment_id=fid).exists()
        record_event(type=EventType.FULFILLMENT_REDUCED, subject_type="fulfillment",
                     subject=fulfillment.number, actor_id=actor_id,
                     payload={"lines": [{"sku": x.product.sku, "quantity": take}
                                        for x, take in shrunk[fid]],
                              "reason": "stock no longer held", "emptied": empty})
        if empty:
            move_fulfillment(fulfillment, lifecycle.CANCELLED, actor_id=actor_id)
        out += [Reduced(fulfillment.number, x.product.sku, take, empty)
                for x, take in shrunk[fid]]
    return out


def take_units_off(*, line_id: int, quantity: int, reason: str,
                   backorder_line_id: int | None = None,
                   actor_id: int | None = None) -> bool:
    """Take `quantity` units off one line of a locked pending fulfillment
    (units confirmed missing on the warehouse floor). With
    `backorder_line_id` they stay on the fulfillment as units of that
    backorder line (the whole fulfillment waits for them). Writes
    `FulfillmentReduced`. Returns whether the fulfillment has lines left."""
    line = FulfillmentLine.objects.select_related("fulfillment", "product").get(id=line_id)
    if not 0 < quantity <= line.quantity:
        raise ValueError(f"cannot take {quantity} of {line.quantity} off line {line_id}")
    if quantity == line.quantity and backorder_line_id is None:
        line.delete()
    elif quantity < line.quantity:
        FulfillmentLine.objects.filter(id=line_id).update(quantity=F("quantity") - quantity)
    if backorder_line_id is not None:
        if quantity == line.quantity:
            FulfillmentLine.objects.filter(id=line_id).update(backorder_line_id=backorder_line_id)
        else:
            FulfillmentLine.objects.create(
                fulfillment_id=line.fulfillment_id, order_line_id=line.order_line_id,
                backorder_line_id=backorder_line_id, product_id=line.product_id,
                quantity=quantity)
    record_event(type=EventType.FULFILLMENT_REDUCED, subject_type="fulfillment",
                 subject=line.fulfillment.number, actor_id=actor_id,
                 payload={"lines": [{"sku": line.product.sku, "quantity": quantity}],
                          "reason": reason, "waiting": backorder_line_id is not None})
    return FulfillmentLine.objects.filter(fulfillment_id=line.fulfillment_id).exists()

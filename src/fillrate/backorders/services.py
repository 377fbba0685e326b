"""Backorders: opening, editing and cancelling.

Locks, in the global order: stock levels of the products involved, the order,
the backorder, then lines. Cancelling is permanent.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from fillrate.backorders import lifecycle
from fillrate.backorders.feeding import repromise
from fillrate.backorders.models import Backorder, BackorderLine, CancelReason, Priority
from fillrate.backorders.promises import backorder_date
from fillrate.core.buckets import move_between
from fillrate.core.errors import InvalidValue, NotFound
from fillrate.core.event_types import EventType
from fillrate.core.events import event_rows, record_event, record_events
from fillrate.core.numbers import parse_number
from fillrate.core.retry import retry_on_lock_conflict
from fillrate.core.sql import NumberOf, Ref, WriteBatch
from fillrate.inventory.locks import lock_stock_levels
from fillrate.orders import money
from fillrate.orders import services as orders
from fillrate.orders.models import OrderLine, SalesOrder
from fillrate.orders.money import credit_overpayment


def backorder_id(number: str) -> int:
    try:
        return parse_number(Backorder.PREFIX, number, what="backorder")
    except NotFound:
        # One code for "no such backorder", whatever the shape of the number.
        raise NotFound("backorders.not_found", f"no backorder {number!r}") from None


@dataclass(frozen=True)
class ShortLine:
    order_line: OrderLine
    quantity: int


def open_backorder(
    *, order: SalesOrder, lines: Sequence[ShortLine], expected_date: dt.date | None = None,
    reason: str = "", notes: str = "", split_by_hand: bool = False,
    actor_id: int | None = None,
) -> Backorder:
    """Create a backorder for `lines` of `order` at their locked prices.
    The caller has moved the units into the lines' `backordered` bucket and
    holds the order's locks."""
    batch = WriteBatch()
    backorder = stage_backorder(batch, order=order, lines=lines, expected_date=expected_date,
                                reason=reason, notes=notes, split_by_hand=split_by_hand,
                                actor_id=actor_id)
    batch.run()
    return backorder


def stage_backorder(
    batch: WriteBatch, *, order: SalesOrder, lines: Sequence[ShortLine],
    line_refs: Sequence[Ref] | None = None, expected_date: dt.date | None = None,
    reason: str = "", notes: str = "", split_by_hand: bool = False,
    actor_id: int | None = None,
) -> Backorder:
    """`open_backorder` queued on `batch`; `line_refs[i]` names the order line
    of `lines[i]` when that line is inserted in the same batch. The backorder
    has its number once the batch has run."""
    backorder = Backorder(order=order, customer_id=order.customer_id,
                          expected_date=expected_date,
                          expected_date_manual=expected_date is not None, reason=reason,
                          notes=notes, split_by_hand=split_by_hand, created_by_id=actor_id)
    batch.insert("backorder", [backorder])
    batch.insert("backorder_lines", [
        BackorderLine(order_line_id=s.order_line.id, product_id=s.order_line.product_id,
                      quantity=s.quantity, unit_price=s.order_line.unit_price)
        for s in lines
    ], refs=[{"backorder_id": Ref("backorder"),
              **({"order_line_id": line_refs[i]} if line_refs else {})}
             for i in range(len(lines))])
    batch.insert("backorder_event", event_rows([dict(
        type=EventType.BACKORDER_OPENED, subject_type="backorder", subject="", actor_id=actor_id,
        payload={"order": order.number, "reason": reason,
                 "lines": [{"sku": s.order_line.product.sku, "quantity": s.quantity}
                           for s in lines]},
    )]), refs=[{"subject": NumberOf(Ref("backorder"), Backorder.PREFIX)}])
    return backorder


def lock_backorder(number: str) -> Backorder:
    """Lock the backorder's stock levels, its order, then itself."""
    bid = backorder_id(number)
    product_ids = list(BackorderLine.objects.filter(backorder_id=bid).values_list(
        "product_id", flat=True))
    if not product_ids and not Backorder.objects.filter(id=bid).exists():
        raise NotFound("backorders.not_found", f"no backorder {number!r}")
    lock_stock_levels(product_ids=product_ids)
    order_pk = Backorder.objects.filter(id=bid).values_list("order_id", flat=True).first()
    SalesOrder.objects.select_for_update(of=("self",)).filter(id=order_pk).first()
    return Backorder.objects.select_for_update(of=("self",)).select_related(
        "order", "customer").get(id=bid)


def refresh_backorder_status(backorder: Backorder, lines: Sequence[BackorderLine]) -> str:
    derived = lifecycle.derive_status(
        lifecycle.LineQuantities(x.quantity, x.allocated, x.fulfilled, x.cancelled)
        for x in lines)
    if derived != backorder.status:
        lifecycle.check(backorder.status, derived)
        Backorder.objects.filter(id=backorder.id).update(status=derived)
        backorder.status = derived
    return derived


PATCHABLE = ("expected_date", "priority", "notes")


@retry_on_lock_conflict
def update_backorder(*, number: str, changes: dict, actor_id: int | None = None) -> Backorder:
    """Change `expected_date`, `priority` or `notes`; one event per changed
    field with old and new value (`BackorderExpectedDateChanged` for the
    date, `BackorderUpdated` otherwise). Closed backorders (complete,
    cancelled) cannot be edited: `backorders.closed`.

    A date set here is a date set by hand: it wins over the purchase-order
    promises until it is cleared with `null`, which puts back the date the
    promises give. A priority change re-ranks the backorder's lines, so the
    promises of its products are rebuilt (their stock levels are locked
    first, in the global lock order)."""
    unknown = set(changes) - set(PATCHABLE)
    if unknown:
        field = sorted(unknown)[0]
        raise InvalidValue("backorders.not_editable", f"{field} cannot be changed here",
                           field=field)
    if "priority" in changes and changes["priority"] not in Priority.values:
        raise InvalidValue("backorders.invalid_priority",
                           f"priority must be one of {', '.join(Priority.values)}",
                           field="priority")
    if "notes" in changes and changes["notes"] is None:
        changes["notes"] = ""
    with transaction.atomic():
        bid = backorder_id(number)
        products = sorted(set(BackorderLine.objects.filter(backorder_id=bid)
                              .values_list("product_id", flat=True)))
        if "priority" in changes:
            lock_stock_levels(product_ids=products)
        backorder = Backorder.objects.select_for_update(of=("self",)).filter(id=bid).first()
        if backorder is None:
            raise NotFound("backorders.not_found", f"no backorder {number!r}")
        if backorder.status in lifecycle.TERMINAL:
            from fillrate.core.errors import Conflict

            raise Conflict("backorders.closed", f"{number} is {backorder.status}")
        events, fields = [], []
        if "expected_date" in changes:
            by_hand = changes["expected_date"] is not None
            if by_hand:
                new = changes["expected_date"]
            else:
                lines = BackorderLine.objects.filter(backorder_id=bid)
                new = backorder_date(x.promised_date for x in lines if x.waiting > 0)
            if by_hand != backorder.expected_date_manual:
                backorder.expected_date_manual = by_hand
                fields.append("expected_date_manual")
            if new != backorder.expected_date:
                events.append(_field_event(backorder, "expected_date", backorder.expected_date,
                                           new, actor_id=actor_id,
                                           source="manual" if by_hand else "purchase_order"))
                backorder.expected_date = new
                fields.append("expected_date")
        for field in ("priority", "notes"):
            if field in changes and changes[field] != getattr(backorder, field):
                events.append(_field_event(backorder, field, getattr(backorder, field),
                                           changes[field], actor_id=actor_id))
                setattr(backorder, field, changes[field])
                fields.append(field)
        if fields:
            backorder.save(update_fields=fields)
            record_events(events)
        if "priority" in fields:
            repromise(product_ids=products, actor_id=actor_id, cause=backorder.number)
    return backorder


def _field_event(backorder: Backorder, field: str, old, new, *, actor_id: int | None,
                 source: str | None = None) -> dict:
    payload = {"field": field, "old": old, "new": new}
    if source:
        payload["source"] = source
    return {"type": EventType.BACKORDER_EXPECTED_DATE_CHANGED if field == "expected_date"
            else EventType.BACKORDER_UPDATED,
"subject_type": "backorder", "subject": backorder.number,
            "actor_id": actor_id, "payload": payload}


@dataclass(frozen=True)
class CancelLine:
    sku: str
    quantity: int | None = None  # None: all that is still open


def _validate_reason(reason: str, notes: str) -> None:
    if reason not in CancelReason.values:
        raise InvalidValue("backorders.invalid_reason",
                           f"reason must be one of {', '.join(CancelReason.values)}",
                           field="reason")
    if reason == CancelReason.OTHER and not notes.strip():
        raise InvalidValue("backorders.notes_required",
                           "explain the reason in notes when it is 'other'", field="notes")


LINE_BUCKETS = ("waiting", "allocated", "fulfilled", "cancelled")


def move_backorder_units(line: BackorderLine, quantity: int, *, source: str,
                         target: str) -> None:
    """Move `quantity` units of a backorder line from one bucket to another
    (in memory; the caller saves `allocated`, `fulfilled`, `cancelled`). The
    one place a backorder line's buckets change outside the set-based feed
    (`fillrate.backorders.feeding`, which grows `allocated` from waiting in
    SQL), so quantity = waiting + allocated + fulfilled + cancelled holds by
    construction. A bucket with fewer units than asked is a bug in the
    caller: `ValueError`."""
    move_between(line, quantity, source=source, target=target, buckets=LINE_BUCKETS,
                 derived="waiting")


def cancel_backorder_units(
    *, backorder: Backorder, lines: list[BackorderLine], order_lines: dict[int, OrderLine],
    quantities: dict[int, int],
) -> dict[int, int]:
    """Move `quantities[bo_line.id]` open units of each line to cancelled:
    waiting units first, then allocated ones (released to free stock). Updates
    the backorder lines and their order lines in memory and in the database.
    Expects every lock held. Returns the units released per order line."""
    release: dict[int, int] = {}
    for line in lines:
        qty = quantities.get(line.id, 0)
        if not qty:
            continue
        from_waiting = min(qty, line.waiting)
        from_allocated = qty - from_waiting
        move_backorder_units(line, from_waiting, source="waiting", target="cancelled")
        move_backorder_units(line, from_allocated, source="allocated", target="cancelled")
        ol = order_lines[line.order_line_id]
        orders.move_units(ol, qty, source="backordered", target="cancelled")
        if from_allocated:
            release[ol.id] = release.get(ol.id, 0) + from_allocated
    orders.release_allocations(release)
    BackorderLine.objects.bulk_update(lines, ["allocated", "cancelled"])
    orders.save_line_counters(order_lines.values())
    return release


@retry_on_lock_conflict
def cancel_backorder(
    *, number: str, reason: str, notes: str = "", notify: bool = False,
    lines: Sequence[CancelLine] | None = None, actor_id: int | None = None,
) -> Backorder:
    """Cancel a backorder, or some units of some of its lines.

    Releases the allocations it holds, counts the units as cancelled on the
    order lines, and writes `BackorderCancelled` (or `BackorderLinesCancelled`).
    A backorder that is complete or cancelled: `backorders.invalid_transition`
    (409), nothing changes. Cancelled is permanent.
    """
    _validate_reason(reason, notes)
    if lines is not None and not lines:
        raise InvalidValue("backorders.no_lines",
                           "name at least one line, or leave lines out to cancel it all",
                           field="lines")
    with transaction.atomic():
        backorder = lock_backorder(number)
        lifecycle.check_cancel(backorder.status)
        bo_lines = list(backorder.lines.select_for_update(of=("self",)).select_related(
            "product").order_by("id"))
        order_lines = {
            ol.id: ol for ol in OrderLine.objects.select_for_update(of=("self",)).filter(
                id__in=[x.order_line_id for x in bo_lines]).order_by("id")
        }
        if lines is None:
            quantities = {x.id: x.open_quantity for x in bo_lines}
        else:
            by_sku = {x.product.sku: x for x in bo_lines}
            quantities = {}
            for i, c in enumerate(lines):
                line = by_sku.get(c.sku)
                if line is None:
                    raise InvalidValue("backorders.unknown_line",
                                       f"{number} has no line for {c.sku}",
                                       field=f"lines[{i}].sku")
                qty = line.open_quantity if c.quantity is None else c.quantity
                # A SKU named twice counts in total against what is open.
                already = quantities.get(line.id, 0)
                if qty <= 0 or already + qty > line.open_quantity:
                    raise InvalidValue(
                        "backorders.invalid_quantity",
                        f"{c.sku}: can cancel 1 to {line.open_quantity}"
                        + (" in all" if already else ""),
                        field=f"lines[{i}].quantity")
                quantities[line.id] = already + qty
        cancel_backorder_units(backorder=backorder, lines=bo_lines, order_lines=order_lines,
                               quantities=quantities)
        if lines is None:
            # A whole cancel is a cancel even when part was fulfilled before.
            Backorder.objects.filter(id=backorder.id).update(status=lifecycle.CANCELLED)
            backorder.status = status = lifecycle.CANCELLED
        else:
            status = refresh_backorder_status(backorder, bo_lines)
        if status == lifecycle.CANCELLED:
            backorder.cancelled_at = timezone.now()
            backorder.cancel_reason = reason
            backorder.cancel_notes = notes
            backorder.save(update_fields=["cancelled_at", "cancel_reason", "cancel_notes"])
        payload = {
            "reason": reason, "notes": notes, "notify": notify, "status": status,
            "lines": [{"sku": x.product.sku, "quantity": quantities[x.id]}
                      for x in bo_lines if quantities.get(x.id)],
        }
        record_event(
            type=EventType.BACKORDER_CANCELLED if status == lifecycle.CANCELLED
            else EventType.BACKORDER_LINES_CANCELLED,
            subject_type="backorder", subject=backorder.number, actor_id=actor_id,
            payload=payload)
        order = backorder.order
        orders.refresh_status(order, orders.lines_of(order.id))
        credit_overpayment(order_id=order.id, reason=money.BACKORDER_CANCELLED,
                           source=f"{backorder.number} {reason}", actor_id=actor_id)
    return backorder


def log_communication(
    *, number: str, method: str, summary: str, next_follow_up: dt.date | None = None,
    preference: str = "", agreed: str = "", actor_id: int | None = None,
):
    """Record a call, email, meeting or the customer's link choice about a
    backorder (seed 003: method, the customer's preference, the agreed plan,
    the next follow-up date). A next follow-up is today or later
    (`backorders.follow_up_in_past`); a preference is one of `Preference`
    (`backorders.invalid_preference`). The backorder's next follow-up is
    that of its latest contact logged by a person (`actor_id`) or latest
    contact that set one (see `selectors.next_follow_up`)."""
    from fillrate.backorders.models import Communication, CommunicationMethod, Preference

    if method not in CommunicationMethod.values:
        raise InvalidValue("backorders.invalid_method",
                           f"method must be one of {', '.join(CommunicationMethod.values)}",
                           field="method")
    if not summary.strip():
        raise InvalidValue("backorders.empty_summary", "say what was agreed", field="summary")
    if preference and preference not in Preference.values:
        raise InvalidValue("backorders.invalid_preference",
                           f"preference must be one of {', '.join(Preference.values)}",
                           field="preference")
    if next_follow_up is not None and next_follow_up < timezone.localdate():
        raise InvalidValue("backorders.follow_up_in_past",
                           f"the next follow-up {next_follow_up} is in the past "
                           f"(today is {timezone.localdate()})", field="next_follow_up")
    with transaction.atomic():
        backorder = Backorder.objects.select_for_update(of=("self",)).filter(
            id=backorder_id(number)).first()
        if backorder is None:
            raise NotFound("backorders.not_found", f"no backorder {number!r}")
        row = Communication.objects.create(backorder=backorder, method=method,
                                           summary=summary.strip(), preference=preference,
                                           agreed=agreed.strip(),
                                           next_follow_up=next_follow_up, created_by_id=actor_id)
        record_event(type=EventType.CUSTOMER_CONTACTED, subject_type="backorder",
                     subject=backorder.number, actor_id=actor_id,
                     payload={"method": method, "summary": row.summary,
                              "preference": preference, "agreed": row.agreed,
                              "next_follow_up": next_follow_up})
    return row


def log_messages_sent(*, entries: Sequence[tuple[int, str, str]]) -> int:
    """Log messages the worker sent (or gave up on) as communications, many
    at once: `(backorder_id, method, summary)` each, with one
    `CustomerContacted` event per entry (no actor: the system told them).
    Call inside the transaction that records the delivery."""
    from fillrate.backorders.models import Communication

    if not entries:
        return 0
    Communication.objects.bulk_create([
        Communication(backorder_id=bid, method=method, summary=summary)
        for bid, method, summary in entries], batch_size=500)
    record_events([{"type": EventType.CUSTOMER_CONTACTED, "subject_type": "backorder",
                    "subject": Backorder(id=bid).number,
                    "payload": {"method": method, "summary": summary}}
                   for bid, method, summary in entries])
    return len(entries)

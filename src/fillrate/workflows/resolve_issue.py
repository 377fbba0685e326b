"""The supervisor's decision on an issue from the warehouse floor (seed 000).

- `found` {location}: the units are where the supervisor says; when that is
  not where the ledger had them, the stock and its allocation move there (a
  `correction`); the fulfillment goes back to the pick queue with what is
  already in its tote.
- `cancel`: confirmed missing; the units are cancelled on the order (what
  the order had paid beyond its new total is recorded as money owed back)
  and the rest of the fulfillment goes on to pack.
- `split`: confirmed missing; the units become a backorder that waits for
  stock like any other (expected date from purchase orders), the rest ships
  now ("ship available items immediately").
- `wait`: confirmed missing; the whole fulfillment waits (`backorder`) in its
  tote; when stock for the units is allocated to it, it returns to the pick
  queue by itself (`fillrate.picking.services.requeue_backordered_fulfillments`).

Confirmed-missing stock leaves the ledger with a `missing` movement. The
issue's own allocation at the location is given up first (those are the
units the picker was sent for); if the location still holds less free
stock than went missing, the rest is taken from the other holders there as
the lost-stock rule says (`fillrate.workflows.lost_stock`). Stock freed goes
to waiting backorders first (invariant 3). Every decision writes
`IssueResolved`, and a split or wait is logged on the backorder's
communication history.

Locks, in the global order: the product's stock levels, the order, its
backorders, the fulfillment, the issue, then lines.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import F, Sum
from django.utils import timezone

from fillrate.backorders.feeding import feed_backorders
from fillrate.backorders.models import Backorder, BackorderLine, CommunicationMethod
from fillrate.backorders.services import (
    ShortLine,
    log_communication,
    move_backorder_units,
    open_backorder,
    refresh_backorder_status,
)
from fillrate.core.errors import Conflict, InvalidValue
from fillrate.core.event_types import EventType
from fillrate.core.events import record_event
from fillrate.core.retry import retry_on_lock_conflict
from fillrate.fulfilment import lifecycle as ff
from fillrate.fulfilment.models import FulfillmentLine
from fillrate.fulfilment.services import lock_fulfillment, move_fulfillment, take_units_off
from fillrate.inventory.locks import ensure_stock_levels, lock_stock_levels
from fillrate.inventory.models import (
    SELLABLE_KINDS,
    AdjustmentReason,
    Location,
    MovementKind,
    StockLevel,
)
from fillrate.inventory.services import HeldMove, adjust_stock, move_held_stock
from fillrate.orders import money
from fillrate.orders import services as orders
from fillrate.orders.models import Allocation, OrderLine, SalesOrder
from fillrate.orders.money import credit_overpayment
from fillrate.picking.models import Issue, IssueStatus, Resolution
from fillrate.picking.selectors import issue_by_number
from fillrate.picking.services import (
    location_by_scan,
    missing_per_line,
    picked_per_line,
    requeue_backordered_fulfillments,
)
from fillrate.picking.totes import leave_tote
from fillrate.workflows.lost_stock import adjust_lost_stock


@dataclass(frozen=True)
class Resolved:
    issue: Issue
    action: str
    fulfillment: str
    fulfillment_status: str
    backorder: str | None
    money_owed: Decimal | None


def _validate(action: object, location: object) -> None:
    if action not in Resolution.values:
        raise InvalidValue("picking.invalid_action",
                           f"action is one of {', '.join(Resolution.values)}", field="action")
    if action == Resolution.FOUND and not location:
        raise InvalidValue("picking.location_required",
                           "say where the units were found", field="location")
    if action != Resolution.FOUND and location:
        raise InvalidValue("picking.location_not_expected",
                           f"a location goes with 'found', not with {action!r}",
                           field="location")


@retry_on_lock_conflict
def resolve_issue(*, number: str, action: str, location: str | None = None, notes: str = "",
                  actor_id: int | None = None) -> Resolved:
    """Decide an open issue (see the module doc). Resolved already:
    `picking.issue_resolved`; found at a location that does not hold the
    recorded units on the ledger: `picking.not_on_record` (409); a bad
    action or location: 422. Nothing changes on an error."""
    _validate(action, location)
    notes = (notes or "").strip()[:500]
    found = location_by_scan(location) if action == Resolution.FOUND else None
    if found is not None and found.kind not in SELLABLE_KINDS:
        raise InvalidValue("picking.not_a_shelf",
                           f"{found.code} is a {found.kind} location: name the pick, bulk or "
                           "receiving location the units are in", field="location")
    first = issue_by_number(number)
    product_id, fid = first.product_id, first.fulfillment_id
    with transaction.atomic():
        ensure_stock_levels([(product_id, first.location_id)]
                            + ([(product_id, found.id)] if found else []))
        levels = {lv.location_id: lv for lv in lock_stock_levels(product_ids=[product_id])}
        order = SalesOrder.objects.select_for_update(of=("self",)).select_related(
            "customer").get(id=first.fulfillment.order_id)
        fulfillment = lock_fulfillment(fid)
        issue = Issue.objects.select_for_update(of=("self",)).select_related(
            "product", "location").get(id=first.id)
        if issue.status != IssueStatus.OPEN:
            raise Conflict("picking.issue_resolved",
                           f"{issue.number} was resolved already ({issue.resolution})")
        if issue.fulfillment_line_id is None or fulfillment.status != ff.ISSUE:
            raise Conflict("picking.issue_stale",
                           f"{fulfillment.number} is {fulfillment.status}: the issue no longer "
                           "applies")
        line = FulfillmentLine.objects.get(id=issue.fulfillment_line_id)
        bl = (BackorderLine.objects.select_for_update(of=("self",))
              .select_related("backorder").get(id=line.backorder_line_id)
              if line.backorder_line_id else None)
        order_line = OrderLine.objects.select_for_update(of=("self",)).select_related(
            "product").get(id=line.order_line_id)
        backorder_number = None
        owed = None
        if action == Resolution.FOUND:
            _relocate(issue=issue, order_line_id=order_line.id, target=found, levels=levels,
                      actor_id=actor_id)
        else:
            _confirm_missing(issue=issue, order_line_id=order_line.id,
                             level=levels[issue.location_id], actor_id=actor_id)
            if action == Resolution.CANCEL:
                owed = _cancel_units(issue=issue, order=order, order_line=order_line, bl=bl,
                                     actor_id=actor_id)
                left = take_units_off(line_id=line.id, quantity=issue.quantity,
                                      reason=f"missing, cancelled ({issue.number})",
                                      actor_id=actor_id)
            else:
                backorder_number, bl_id = _backorder_units(
                    issue=issue, order=order, order_line=order_line, bl=bl,
                    fulfillment=fulfillment.number, action=action, actor_id=actor_id)
                if action == Resolution.WAIT and bl is None:
                    left = take_units_off(line_id=line.id, quantity=issue.quantity,
                                          reason=f"missing, waiting ({issue.number})",
                                          backorder_line_id=bl_id, actor_id=actor_id)
                elif action == Resolution.WAIT:
                    left = True
                else:
                    left = take_units_off(line_id=line.id, quantity=issue.quantity,
                                          reason=f"missing, split off ({issue.number})",
                                          actor_id=actor_id)
            orders.refresh_status(order, orders.lines_of(order.id))
        issue.status, issue.resolution = IssueStatus.RESOLVED, action
        issue.found_at = found
        issue.backorder_number = backorder_number or ""
        issue.money_owed = owed
        issue.notes = notes
        issue.resolved_by_id, issue.resolved_at = actor_id, timezone.now()
        # Not `fulfillment_line`: a line taken off whole is gone (SET NULL).
        issue.save(update_fields=["status", "resolution", "found_at", "backorder_number",
                                  "money_owed", "notes", "resolved_by", "resolved_at"])
        _next_status(fulfillment, action=action,
                     left=action == Resolution.FOUND or left, actor_id=actor_id)
        record_event(type=EventType.ISSUE_RESOLVED, subject_type="issue", subject=issue.number,
                     actor_id=actor_id,
                     payload={"action": action, "fulfillment": fulfillment.number,
                              "order": order.number, "sku": issue.product.sku,
                              "quantity": issue.quantity, "location": issue.location.code,
                              "found_at": found.code if found else None,
                              "backorder": backorder_number, "money_owed": owed,
                              "fulfillment_status": fulfillment.status, "notes": notes})
        if action != Resolution.FOUND:
            feed_backorders(product_ids=[product_id], actor_id=actor_id, cause=issue.number,
                            changed_backorders=[bl.backorder_id] if bl else [])
            requeue_backordered_fulfillments(product_ids=[product_id], actor_id=actor_id)
            fulfillment.refresh_from_db(fields=["status"])
    return Resolved(issue=issue, action=action, fulfillment=fulfillment.number,
                    fulfillment_status=fulfillment.status, backorder=backorder_number,
                    money_owed=owed)


def _relocate(*, issue: Issue, order_line_id: int, target: Location,
              levels: dict[int, StockLevel], actor_id: int | None) -> None:
    """The units are at `target`, not where the ledger had them: move them
    (and the issue line's allocation there) with two `correction`
    movements."""
    if target.id == issue.location_id:
        return
    source, dest = levels[issue.location_id], levels[target.id]
    held = (Allocation.objects.filter(order_line_id=order_line_id, stock_level_id=source.id)
            .values_list("quantity", flat=True).first() or 0)
    moving = min(issue.quantity, held)
    if source.on_hand < issue.quantity or source.on_hand - issue.quantity < (
            source.allocated - moving):
        raise Conflict("picking.not_on_record",
                       f"the ledger has {source.on_hand} of {issue.product.sku} at "
                       f"{issue.location.code} ({source.allocated} allocated), so "
                       f"{issue.quantity} cannot move from there to {target.code}: "
                       "count the stock there first", field="location")
    move_held_stock(moves=[HeldMove(source=source, target=dest, quantity=issue.quantity,
                                    allocated=moving)],
                    kind=MovementKind.ADJUSTED, reason=AdjustmentReason.CORRECTION,
                    reference=issue.number, note=f"found at {target.code}", actor_id=actor_id)
    orders.move_allocations(source_level_id=source.id, target_level_id=dest.id,
                            line_quantities={order_line_id: moving})
    record_event(type=EventType.STOCK_RELOCATED, subject_type="product",
                 subject=issue.product.sku, actor_id=actor_id,
                 payload={"from": issue.location.code, "to": target.code,
                          "quantity": issue.quantity, "allocated": moving,
                          "issue": issue.number})


def _confirm_missing(*, issue: Issue, order_line_id: int, level: StockLevel,
                     actor_id: int | None) -> None:
    """The units are gone: the issue line's own allocation gives them up
    (at the location first, then elsewhere on the shelves), and the
    location's on-hand drops with a `missing` movement; where it then holds
    too little free stock the lost-stock rule takes the rest from the other
    holders there."""
    held = (Allocation.objects.filter(order_line_id=order_line_id, stock_level_id=level.id)
            .values_list("quantity", flat=True).first() or 0)
    here = min(issue.quantity, held)
    orders.release_allocations_at(stock_level_id=level.id,
                                  line_quantities={order_line_id: here})
    rest = issue.quantity - here
    if rest:
        holds = (Allocation.objects.filter(
            order_line_id=order_line_id, stock_level__location__kind__in=SELLABLE_KINDS)
            .aggregate(n=Sum("quantity"))["n"] or 0)
        if holds < rest:
            raise Conflict("picking.not_held",
                           f"the order no longer holds {issue.quantity} of "
                           f"{issue.product.sku} to give up: look at the order first")
        orders.release_allocations({order_line_id: rest}, sellable_only=True)
    level.refresh_from_db(fields=["on_hand", "allocated"])
    gone = min(issue.quantity, level.on_hand)
    if not gone:
        return
    note = f"missing at pick ({issue.number})"
    if level.on_hand - gone >= level.allocated:
        adjust_stock(product_id=issue.product_id, location_id=level.location_id,
                     quantity=-gone, reason=AdjustmentReason.LOST, note=note,
                     kind=MovementKind.MISSING, actor_id=actor_id)
    else:
        adjust_lost_stock(level=level, quantity=-gone, reason=AdjustmentReason.LOST, note=note,
                          sku=issue.product.sku, location=issue.location.code,
                          kind=MovementKind.MISSING, actor_id=actor_id)


def _cancel_units(*, issue: Issue, order: SalesOrder, order_line: OrderLine,
                  bl: BackorderLine | None, actor_id: int | None) -> Decimal:
    """The missing units are cancelled on the order (their allocation was
    given up already). Returns what the order had paid beyond its new total
    (money owed back), and writes `OrderUnitsCancelled` on the order."""
    if bl is None:
        orders.move_units(order_line, issue.quantity, source="allocated", target="cancelled")
    else:
        move_backorder_units(bl, issue.quantity, source="allocated", target="cancelled")
        orders.move_units(order_line, issue.quantity, source="backordered", target="cancelled")
        BackorderLine.objects.bulk_update([bl], ["allocated", "cancelled"])
        _refresh_backorder(bl)
    orders.save_line_counters([order_line])
    # What the customer paid for the cancelled units is owed back as a credit.
    credit = credit_overpayment(order_id=order.id, reason=money.SHORT_SHIPPED,
                                source=issue.number, actor_id=actor_id)
    owed = credit.amount if credit else Decimal("0.00")
    record_event(type=EventType.ORDER_UNITS_CANCELLED, subject_type="order",
                 subject=order.number, actor_id=actor_id,
                 payload={"sku": order_line.product.sku, "quantity": issue.quantity,
                          "reason": f"missing at pick ({issue.number})",
                          "value": order_line.unit_price * issue.quantity, "money_owed": owed})
    return owed


def _refresh_backorder(bl: BackorderLine) -> str:
    backorder = Backorder.objects.select_for_update(of=("self",)).get(id=bl.backorder_id)
    return refresh_backorder_status(
        backorder, list(BackorderLine.objects.filter(backorder_id=backorder.id)))


def _backorder_units(*, issue: Issue, order: SalesOrder, order_line: OrderLine,
                     bl: BackorderLine | None, fulfillment: str, action: str,
                     actor_id: int | None) -> tuple[str, int]:
    """The missing units wait for stock on a backorder: a new one for an
    order's own units, or their own backorder line (waiting again) for a
    backorder's. Logs the decision on the backorder's communication
    history. Returns the backorder number and the line id."""
    if bl is None:
        orders.move_units(order_line, issue.quantity, source="allocated", target="backordered")
        orders.save_line_counters([order_line])
        backorder = open_backorder(order=order, lines=[ShortLine(order_line, issue.quantity)],
                                   reason=f"missing at pick ({issue.number})",
                                   actor_id=actor_id)
        line_id = BackorderLine.objects.filter(backorder_id=backorder.id).values_list(
            "id", flat=True).get()
        number = Backorder(id=backorder.id).number
    else:
        move_backorder_units(bl, issue.quantity, source="allocated", target="waiting")
        BackorderLine.objects.bulk_update([bl], ["allocated"])
        _refresh_backorder(bl)
        line_id, number = bl.id, bl.backorder.number
    what = (f"{issue.quantity} x {order_line.product.sku} could not be picked for "
            f"{fulfillment} ({issue.number}): ")
    what += ("the rest ships now and these units follow when stock arrives."
             if action == Resolution.SPLIT else
             "the whole shipment waits for them and goes out when stock arrives.")
    log_communication(number=number, method=CommunicationMethod.NOTIFICATION,
                      summary=what, actor_id=actor_id)
    return number, line_id


def _next_status(fulfillment, *, action: str, left: bool, actor_id: int | None) -> None:
    """Where the fulfillment goes once its last open issue is decided:
    nothing left on it: cancelled (its tote is freed); waiting: `backorder`;
    units still to pick: back to the queue; else on to pack (`picked`)."""
    if Issue.objects.filter(fulfillment_id=fulfillment.id, status=IssueStatus.OPEN).exists():
        return
    if not left:
        move_fulfillment(fulfillment, ff.CANCELLED, actor_id=actor_id)
        leave_tote(fulfillment_id=fulfillment.id, actor_id=actor_id)
        return
    if action == Resolution.WAIT or _waits(fulfillment.id):
        move_fulfillment(fulfillment, ff.BACKORDER, actor_id=actor_id)
        return
    lines = list(FulfillmentLine.objects.filter(fulfillment_id=fulfillment.id)
                 .values_list("id", "quantity"))
    picked, missing = picked_per_line([fulfillment.id]), missing_per_line([fulfillment.id])
    due = any(q - picked.get(i, 0) - missing.get(i, 0) > 0 for i, q in lines)
    move_fulfillment(fulfillment, ff.QUEUED if due else ff.PICKED, actor_id=actor_id)


def _waits(fulfillment_id: int) -> bool:
    """Whether some backorder line on the fulfillment holds less than it carries."""
    return FulfillmentLine.objects.filter(
        fulfillment_id=fulfillment_id, backorder_line__isnull=False,
        backorder_line__allocated__lt=F("quantity")).exists()

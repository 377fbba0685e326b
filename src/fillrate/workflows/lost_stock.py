"""Stock that is lost while it is allocated (seed 000: stock that "grew
legs", damage, a count that comes up short).

The units are taken from the allocations at that stock level, from the
holder the allocation policy puts last first (an order's own allocated
units rank by the order's date and customer, a backorder line's by its
backorder's, as `fillrate.backorders.ranking` ranks waiting lines). Each
holder goes back to waiting:

- a backorder line's units wait again (the feed after the adjustment may
  give them stock from elsewhere, by rank);
- an order line's own units first take free stock elsewhere; what is still
  short follows `oversell_policy`: a new backorder under `backorder`, the
  order held on the oversold list under `hold` (and under `reject`, since
  an order already taken cannot be refused: a person decides).

Pending fulfillments that carried units no longer held shrink (newest
first; one left empty is cancelled). Every change writes its event; the
caller writes the adjustment itself through `fillrate.inventory.services`.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from fillrate.backorders import lifecycle as backorder_lifecycle
from fillrate.backorders.models import Backorder, BackorderLine
from fillrate.backorders.ranking import WaitingLine, rank_waiting_lines
from fillrate.backorders.services import (
    ShortLine,
    move_backorder_units,
    open_backorder,
    refresh_backorder_status,
)
from fillrate.core.business import business_settings
from fillrate.core.event_types import EventType
from fillrate.core.events import record_events
from fillrate.fulfilment.services import Reduced, reduce_uncovered_fulfillments
from fillrate.inventory.models import StockLevel
from fillrate.inventory.services import Adjustment, adjust_stock
from fillrate.orders import services as orders
from fillrate.orders.models import Allocation, OrderLine, OrderStatus, SalesOrder
from fillrate.picking.selectors import picked_per_fulfillment_line
from fillrate.picking.services import refresh_picked

# What became of the units taken from a holder.
REALLOCATED, BACKORDERED, HELD, WAITING = "reallocated", "backordered", "held", "waiting"


@dataclass(frozen=True)
class Taken:
    order: str
    backorder: str | None  # the backorder whose held units were taken
    sku: str
    quantity: int
    outcome: str  # reallocated | backordered | held | waiting
    new_backorder: str | None = None  # the backorder opened for an order's shortfall


@dataclass(frozen=True)
class Withdrawn:
    taken: list[Taken]
    reduced: list[Reduced]
    backorder_ids: list[int]  # backorders whose waiting lines changed


@dataclass(frozen=True)
class _Holder:
    order_line_id: int
    backorder_line_id: int | None
    held: int


def adjust_lost_stock(*, level: StockLevel, quantity: int, reason: str, note: str = "",
                      sku: str, location: str, kind: str | None = None,
                      actor_id: int | None = None) -> tuple[Adjustment, Withdrawn]:
    """Remove `-quantity` units from `level` where fewer than that are free:
    the allocated units it needs are taken off their holders first (see the
    module doc), then the adjustment is written by
    `fillrate.inventory.services.adjust_stock`, then the holders' units are
    settled (an order's take free stock elsewhere, or are backordered or
    held). Expects every stock level of the product locked
    (`lock_stock_levels`) and `level.on_hand + quantity >= 0`; locks the
    orders, backorders, fulfillments and lines involved in the global
    order."""
    units = level.allocated - (level.on_hand + quantity)
    rows = dict(Allocation.objects.filter(stock_level_id=level.id)
                .values_list("order_line_id", "quantity"))
    order_ids = sorted(set(OrderLine.objects.filter(id__in=list(rows))
                           .values_list("order_id", flat=True)))
    order_rows = {o.id: o for o in SalesOrder.objects.select_for_update(of=("self",))
                  .filter(id__in=order_ids).select_related("customer").order_by("id")}
    backorder_ids = sorted(set(BackorderLine.objects.filter(
        order_line_id__in=list(rows), allocated__gt=0,
        backorder__status__in=backorder_lifecycle.ACTIVE).values_list("backorder_id",
                                                                      flat=True)))
    backorder_rows = {b.id: b for b in Backorder.objects.select_for_update(of=("self",))
                      .filter(id__in=backorder_ids).order_by("id")}
    order_lines = {x.id: x for x in OrderLine.objects.select_for_update(of=("self",))
                   .filter(order_id__in=order_ids).select_related("product").order_by("id")}
    bo_lines = {x.id: x for x in BackorderLine.objects.select_for_update(of=("self",))
                .filter(backorder_id__in=backorder_ids).order_by("id")}

    holders: list[_Holder] = []
    ranked_as: list[WaitingLine] = []
    for line_id in rows:
        line = order_lines[line_id]
        order = order_rows[line.order_id]
        if line.allocated:
            holders.append(_Holder(line_id, None, line.allocated))
            ranked_as.append(WaitingLine(line_id=len(ranked_as), backorder_id=0,
                                         product_id=line.product_id, waiting=line.allocated,
                                         created_at=order.created_at,
                                         vip=order.customer.vip))
        for bl in bo_lines.values():
            if bl.order_line_id == line_id and bl.allocated:
                backorder = backorder_rows[bl.backorder_id]
                holders.append(_Holder(line_id, bl.id, bl.allocated))
                ranked_as.append(WaitingLine(
                    line_id=len(ranked_as), backorder_id=backorder.id,
                    product_id=line.product_id, waiting=bl.allocated,
                    created_at=backorder.created_at, high=backorder.priority == "high",
                    vip=order.customer.vip))
    ranked = rank_waiting_lines(ranked_as, policy=business_settings().allocation_policy)

    left = dict(rows)  # what each order line still holds at this level
    remaining = units
    own: dict[int, int] = defaultdict(int)
    held: dict[int, int] = defaultdict(int)
    for w in reversed(ranked):
        holder = holders[w.line_id]
        take = min(remaining, holder.held, left[holder.order_line_id])
        if take <= 0:
            continue
        remaining -= take
        left[holder.order_line_id] -= take
        if holder.backorder_line_id is None:
            own[holder.order_line_id] += take
        else:
            held[holder.backorder_line_id] += take
        if not remaining:
            break
    if remaining:
        raise RuntimeError(f"stock level {level.id}: allocation rows hold less than "
                           f"{units} allocated units")

    per_line: dict[int, int] = defaultdict(int)
    for line_id, take in own.items():
        per_line[line_id] += take
        orders.move_units(order_lines[line_id], take, source="allocated", target="unallocated")
    for bl_id, take in held.items():
        per_line[bo_lines[bl_id].order_line_id] += take
        move_backorder_units(bo_lines[bl_id], take, source="allocated", target="waiting")
    orders.release_allocations_at(stock_level_id=level.id, line_quantities=dict(per_line))
    BackorderLine.objects.bulk_update([bo_lines[k] for k in held], ["allocated"])

    taken: list[Taken] = []
    events = []
    changed = sorted({bo_lines[k].backorder_id for k in held})
    for bid in changed:
        backorder = backorder_rows[bid]
        its = [x for x in bo_lines.values() if x.backorder_id == bid]
        status = refresh_backorder_status(backorder, its)
        lost = sum(held[x.id] for x in its if x.id in held)
        order_number = order_rows[backorder.order_id].number
        taken.append(Taken(order_number, backorder.number, sku, lost, WAITING))
        events.append({"type": EventType.BACKORDER_STOCK_WITHDRAWN, "subject_type": "backorder",
                       "subject": backorder.number, "actor_id": actor_id,
                       "payload": {"sku": sku, "location": location, "quantity": lost,
                                   "reason": reason, "status": status}})
    record_events(events)
    # The units are gone from this level before the order lines look for
    # stock elsewhere (else they would take the lost units back).
    adjustment = adjust_stock(product_id=level.product_id, location_id=level.location_id,
                              quantity=quantity, reason=reason, note=note, kind=kind,
                              actor_id=actor_id)
    taken += _settle_order_lines(own=dict(own), order_lines=order_lines,
                                 order_rows=order_rows, sku=sku, location=location,
                                 reason=reason, actor_id=actor_id)
    orders.save_line_counters(order_lines.values())
    for order in order_rows.values():
        orders.refresh_status(order, [x for x in order_lines.values()
                                      if x.order_id == order.id])
    reduced = reduce_uncovered_fulfillments(
        own_held={k: order_lines[k].allocated for k in own},
        backorder_held={k: bo_lines[k].allocated for k in held},
        keep=picked_per_fulfillment_line(order_line_ids=list(per_line)), actor_id=actor_id)
    refresh_picked(fulfillment_numbers=sorted({r.fulfillment for r in reduced if not r.cancelled}),
                   actor_id=actor_id)
    return adjustment, Withdrawn(taken=taken, reduced=reduced, backorder_ids=changed)


def _settle_order_lines(*, own: dict[int, int], order_lines: dict[int, OrderLine],
                        order_rows: dict[int, SalesOrder], sku: str, location: str,
                        reason: str, actor_id: int | None) -> list[Taken]:
    """An order's own units that lost their stock take free stock elsewhere
    first; the rest is backordered or the order held (`oversell_policy`)."""
    if not own:
        return []
    lines = [order_lines[k] for k in sorted(own)]
    plan = orders.allocate_lines(lines, own)
    policy = business_settings().oversell_policy
    out: list[Taken] = []
    events = []
    by_order: dict[int, list[OrderLine]] = defaultdict(list)
    for line in lines:
        by_order[line.order_id].append(line)
    for order_id, its in sorted(by_order.items()):
        order = order_rows[order_id]
        short = [(x, own[x.id] - plan.allocated(x.id)) for x in its]
        got = sum(plan.allocated(x.id) for x in its)
        missing = [(x, q) for x, q in short if q]
        new_backorder = None
        if missing and policy == "backorder":
            for line, quantity in missing:
                orders.move_units(line, quantity, source="unallocated", target="backordered")
            new_backorder = open_backorder(
                order=order, lines=[ShortLine(x, q) for x, q in missing], actor_id=actor_id,
                reason=f"stock lost at {location} ({reason})")
        elif missing and order.status != OrderStatus.ON_HOLD:
            SalesOrder.objects.filter(id=order.id).update(status=OrderStatus.ON_HOLD)
            order.status = OrderStatus.ON_HOLD
            events.append({"type": EventType.ORDER_HELD, "subject_type": "order",
                           "subject": order.number, "actor_id": actor_id,
                           "payload": {"oversold": True, "requested": False,
                                       "cause": f"stock lost at {location}"}})
        if got:
            out.append(Taken(order.number, None, sku, got, REALLOCATED))
        lost = sum(q for _, q in missing)
        if lost:
            out.append(Taken(order.number, None, sku, lost,
                             BACKORDERED if new_backorder else HELD,
                             new_backorder.number if new_backorder else None))
        events.append({"type": EventType.ORDER_STOCK_WITHDRAWN, "subject_type": "order",
                       "subject": order.number, "actor_id": actor_id,
                       "payload": {"sku": sku, "location": location, "reason": reason,
                                   "quantity": got + lost, "reallocated": got,
                                   "backordered": lost if new_backorder else 0,
                                   "held": 0 if new_backorder else lost,
                                   "backorder": new_backorder.number if new_backorder
                                   else None}})
    record_events(events)
    return out

"""Sales orders: placing lines against locked stock, releasing and cancelling.

Lock order everywhere (DESIGN.md): stock levels by product id (see
`fillrate.inventory.locks`), then documents (order, then backorders), then
lines. Callers that span apps live in `fillrate.workflows`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection
from django.db.models import F
from django.utils import timezone

from fillrate.catalog.services import refuse_repeated_skus
from fillrate.core.buckets import move_between
from fillrate.core.errors import Conflict, InvalidValue, NotFound
from fillrate.core.numbers import MAX_QUANTITY, parse_number
from fillrate.core.sql import Ref, WriteBatch, insert_instances, set_based, table
from fillrate.inventory.allocation import Candidate, Plan, Request, plan_allocation
from fillrate.inventory.locks import lock_sellable_stock, lock_stock_levels
from fillrate.inventory.models import SELLABLE_KINDS
from fillrate.inventory.services import hold_stock, release_stock, stage_hold_stock
from fillrate.orders.models import Allocation, OrderLine, OrderStatus, SalesOrder
from fillrate.orders.status import LineQuantities, derive_order_status


@dataclass(frozen=True)
class LineInput:
    sku: str
    quantity: int
    unit_price: Decimal | None = None


def order_id(number: str) -> int:
    try:
        return parse_number(SalesOrder.PREFIX, number, what="order")
    except NotFound:
        # One code for "no such order", whatever the shape of the number.
        raise NotFound("orders.not_found", f"no order {number!r}") from None


def lock_order(number: str) -> SalesOrder:
    """Lock the order row (after its stock levels, see the module doc)."""
    order = SalesOrder.objects.select_for_update(of=("self",)).select_related("customer").filter(
        id=order_id(number)).first()
    if order is None:
        raise NotFound("orders.not_found", f"no order {number!r}")
    return order


def validate_lines(lines: Sequence[LineInput]) -> None:
    if not lines:
        raise InvalidValue("orders.no_lines", "an order needs at least one line", field="lines")
    refuse_repeated_skus([x.sku for x in lines], code="orders.duplicate_sku")
    for i, line in enumerate(lines):
        if line.quantity <= 0:
            raise InvalidValue("orders.invalid_quantity", "quantity must be a positive whole "
                               "number", field=f"lines[{i}].quantity")
        if line.quantity > MAX_QUANTITY:
            raise InvalidValue("orders.invalid_quantity", f"quantity cannot exceed {MAX_QUANTITY}",
                               field=f"lines[{i}].quantity")
        if line.unit_price is not None and line.unit_price < 0:
            raise InvalidValue("orders.invalid_price", "unit price cannot be negative",
                               field=f"lines[{i}].unit_price")


def sellable_candidates(product_ids: Iterable[int]) -> list[Candidate]:
    """Lock the sellable stock levels of these products and return them as
    allocation candidates (must run inside the transaction)."""
    return [
        Candidate(stock_level_id=x.stock_level_id, product_id=x.product_id, free=x.free,
                  pick_sequence=x.pick_sequence, location_id=x.location_id)
        for x in lock_sellable_stock(product_ids)
    ]


def stage_new_allocations(batch: WriteBatch, plan: Plan, *, line_refs: dict[object, Ref],
                          step: str = "allocations") -> None:
    """Queue a plan for lines being inserted in the same batch: one allocation
    row per line and stock level, and the stock levels' allocated counts."""
    per_level: dict[int, int] = defaultdict(int)
    per_pair: dict[tuple[object, int], int] = defaultdict(int)
    for take in plan.takes:
        per_level[take.stock_level_id] += take.quantity
        per_pair[(take.key, take.stock_level_id)] += take.quantity
    pairs = list(per_pair.items())
    batch.insert(step, [Allocation(stock_level_id=level, quantity=qty)
                        for (_, level), qty in pairs],
                 refs=[{"order_line_id": line_refs[key]} for (key, _), _ in pairs])
    stage_hold_stock(batch, per_level)


def apply_plan(plan: Plan, *, line_ids: dict[object, int]) -> None:
    """Write a plan for existing lines: allocation rows (merged with existing
    ones for the same line and level) and the stock levels' allocated counts.
    Expects the stock levels locked; the plan was made from their locked
    figures."""
    per_level: dict[int, int] = defaultdict(int)
    per_pair: dict[tuple[int, int], int] = defaultdict(int)
    for take in plan.takes:
        per_level[take.stock_level_id] += take.quantity
        per_pair[(line_ids[take.key], take.stock_level_id)] += take.quantity
    if not per_level:
        return
    existing = {
        (a.order_line_id, a.stock_level_id): a
        for a in Allocation.objects.filter(order_line_id__in={p[0] for p in per_pair},
                                           stock_level_id__in=per_level.keys())
    }
    new, changed = [], []
    for (line_id, level_id), qty in per_pair.items():
        row = existing.get((line_id, level_id))
        if row is None:
            new.append(Allocation(order_line_id=line_id, stock_level_id=level_id, quantity=qty))
        else:
            row.quantity += qty
            changed.append(row)
    insert_instances(new)
    if changed:
        Allocation.objects.bulk_update(changed, ["quantity"])
    hold_stock(per_level)


def take_allocations(line_quantities: dict[int, int], *, best_first: bool,
                     sellable_only: bool = False) -> dict[int, int]:
    """Shrink each order line's allocation rows by its quantity (deleting rows
    that reach zero), from the best pick location first or, with
    `best_first=False`, the least convenient first (with `sellable_only`,
    never units already picked into a tote). Returns the units taken per
    stock level; the stock levels' counters and the order lines' buckets are
    the caller's. Expects the stock levels locked."""
    wanted = {k: v for k, v in line_quantities.items() if v > 0}
    if not wanted:
        return {}
    sequence = "stock_level__location__pick_sequence"
    rows = Allocation.objects.filter(order_line_id__in=wanted.keys())
    if sellable_only:
        rows = rows.filter(stock_level__location__kind__in=SELLABLE_KINDS)
    rows = list(
        rows.select_related("stock_level__location")
        .order_by("order_line_id", *((sequence, "stock_level_id") if best_first
                                     else ("-" + sequence, "-stock_level_id")))
    )
    per_level: dict[int, int] = defaultdict(int)
    drop, keep = [], []
    for row in rows:
        need = wanted.get(row.order_line_id, 0)
        if not need:
            continue
        take = min(need, row.quantity)
        wanted[row.order_line_id] -= take
        per_level[row.stock_level_id] += take
        row.quantity -= take
        (drop if row.quantity == 0 else keep).append(row)
    short = {k: v for k, v in wanted.items() if v}
    if short:
        raise RuntimeError(f"order lines {short} hold less allocation than their counters say")
    if drop:
        Allocation.objects.filter(id__in=[r.id for r in drop]).delete()
    if keep:
        Allocation.objects.bulk_update(keep, ["quantity"])
    return dict(per_level)


def release_allocations(line_quantities: dict[int, int], *, sellable_only: bool = False) -> None:
    """Give back `quantity` units of each order line's allocation to free
    stock (least convenient location first; with `sellable_only`, never
    units picked into a tote). Expects the stock levels locked. Does not
    touch the order lines' counters: the caller moves the units to their
    new bucket."""
    release_stock(take_allocations(line_quantities, best_first=False,
                                   sellable_only=sellable_only))


def release_allocations_at(*, stock_level_id: int, line_quantities: dict[int, int]) -> None:
    """Give back `quantity` units of each order line's allocation row at one
    stock level to free stock (stock that turned out to be lost there).
    Expects the stock level locked and each row to hold that much. The
    caller moves the units to their new bucket."""
    if take_allocations_at(stock_level_id=stock_level_id, line_quantities=line_quantities):
        release_stock({stock_level_id: sum(v for v in line_quantities.values() if v > 0)})


def move_allocations(*, source_level_id: int, target_level_id: int,
                     line_quantities: dict[int, int]) -> None:
    """Move `quantity` units of each order line's allocation row from one
    stock level to another (picked into a tote, put back, found elsewhere).
    Expects both levels locked, each row to hold that much, and the caller
    to move the stock levels' counters the same way
    (`fillrate.inventory.services.move_held_stock`)."""
    if not take_allocations_at(stock_level_id=source_level_id, line_quantities=line_quantities):
        return
    wanted = {k: v for k, v in line_quantities.items() if v > 0}
    rows = {a.order_line_id: a for a in Allocation.objects.filter(
        stock_level_id=target_level_id, order_line_id__in=list(wanted))}
    new, changed = [], []
    for line_id, units in wanted.items():
        row = rows.get(line_id)
        if row is None:
            new.append(Allocation(order_line_id=line_id, stock_level_id=target_level_id,
                                  quantity=units))
        else:
            row.quantity += units
            changed.append(row)
    insert_instances(new)
    if changed:
        Allocation.objects.bulk_update(changed, ["quantity"])


def shift_allocation(*, order_line_id: int, source_level_id: int, target_level_id: int,
                     quantity: int, held_at_source: int) -> None:
    """`move_allocations` for one order line on the hot path (a scan): the
    source row, known to hold `held_at_source`, shrinks or goes, the target
    row grows or is made, in two statements. Same locks as
    `move_allocations`."""
    if not 0 < quantity <= held_at_source:
        raise RuntimeError(f"order line {order_line_id} holds {held_at_source} at stock level "
                           f"{source_level_id}, not {quantity}")
    allocations = table(Allocation)
    if quantity == held_at_source:
        take = (f"DELETE FROM {allocations} WHERE order_line_id = %s AND stock_level_id = %s",
                [order_line_id, source_level_id])
    else:
        take = (f"UPDATE {allocations} SET quantity = quantity - %s "
                "WHERE order_line_id = %s AND stock_level_id = %s",
                [quantity, order_line_id, source_level_id])
    give = (f"INSERT INTO {allocations} (order_line_id, stock_level_id, quantity) "
            "VALUES (%s, %s, %s) ON CONFLICT (order_line_id, stock_level_id) "
            f"DO UPDATE SET quantity = {allocations}.quantity + EXCLUDED.quantity",
            [order_line_id, target_level_id, quantity])
    with connection.cursor() as cursor:
        if set_based():  # one statement: the data-modifying CTE always runs
            cursor.execute(f"WITH taken AS ({take[0]} RETURNING 1) {give[0]}",
                           take[1] + give[1])
        else:
            cursor.execute(*take)
            cursor.execute(*give)


def take_allocations_at(*, stock_level_id: int, line_quantities: dict[int, int]) -> bool:
    """Shrink each order line's allocation row at one stock level by its
    quantity (a row reaching zero goes). The stock level's counters are the
    caller's. Expects the level locked and each row to hold that much.
    Returns whether anything was taken."""
    wanted = {k: v for k, v in line_quantities.items() if v > 0}
    if not wanted:
        return False
    rows = {a.order_line_id: a for a in Allocation.objects.filter(
        stock_level_id=stock_level_id, order_line_id__in=list(wanted))}
    drop, keep = [], []
    for line_id, units in wanted.items():
        row = rows.get(line_id)
        if row is None or row.quantity < units:
            raise RuntimeError(f"order line {line_id} holds less than {units} at stock level "
                               f"{stock_level_id}")
        row.quantity -= units
        (drop if row.quantity == 0 else keep).append(row)
    if drop:
        Allocation.objects.filter(id__in=[r.id for r in drop]).delete()
    if keep:
        Allocation.objects.bulk_update(keep, ["quantity"])
    return True


BUCKETS = ("unallocated", "allocated", "shipped", "backordered", "cancelled")


def move_units(line: OrderLine, quantity: int, *, source: str, target: str) -> None:
    """Move `quantity` units of an order line from one bucket to another (in
    memory; `save_line_counters` writes them). The one place an order line's
    buckets change after it was placed, so invariant 2 holds by
    construction: units move, they are never made or lost. `unallocated` is
    the bucket of units in no other (an order on hold). A bucket that holds
    fewer units than asked is a bug in the caller: `ValueError`."""
    move_between(line, quantity, source=source, target=target, buckets=BUCKETS,
                 derived="unallocated")


def new_line(*, order: SalesOrder, line_no: int, product, quantity: int, unit_price,
             allocated: int = 0, backordered: int = 0) -> OrderLine:
    """An unsaved order line whose units start in `allocated`, `backordered`
    and (the rest) unallocated: the other way units enter a bucket."""
    if allocated < 0 or backordered < 0 or allocated + backordered > quantity:
        raise ValueError(f"{allocated} allocated and {backordered} backordered of {quantity}")
    return OrderLine(order=order, line_no=line_no, product=product, quantity=quantity,
                     unit_price=unit_price, allocated=allocated, backordered=backordered)


def refresh_status(order: SalesOrder, lines: Iterable[OrderLine]) -> str:
    """Store the status the lines imply (people's on_hold/cancelled stay)."""
    new = derive_order_status(
        (LineQuantities(x.quantity, x.allocated, x.shipped, x.backordered, x.cancelled)
         for x in lines),
        on_hold=order.status == OrderStatus.ON_HOLD,
        cancelled=order.status == OrderStatus.CANCELLED,
    )
    if new != order.status:
        order.status = new
        SalesOrder.objects.filter(id=order.id).update(status=new)
    return new


def lines_of(order_id: int, *, lock: bool = False) -> list[OrderLine]:
    qs = OrderLine.objects.filter(order_id=order_id).select_related("product").order_by("line_no")
    if lock:
        qs = qs.select_for_update(of=("self",))
    return list(qs)


def save_line_counters(lines: Iterable[OrderLine]) -> None:
    OrderLine.objects.bulk_update(list(lines), ["allocated", "shipped", "backordered", "cancelled"])


def mark_picking_started(*, order_id: int) -> None:
    SalesOrder.objects.filter(id=order_id, picking_started_at__isnull=True).update(
        picking_started_at=timezone.now())


def ensure_not_picking(order: SalesOrder) -> None:
    if order.picking_started_at is not None:
        raise Conflict("orders.picking_started",
                       f"{order.number}: picking has started, so lines cannot be backordered "
                       "here; use the issues wall")


def ensure_open(order: SalesOrder) -> None:
    if order.status in (OrderStatus.CANCELLED, OrderStatus.FULFILLED):
        raise Conflict("orders.closed", f"{order.number} is {order.status}")


def allocate_lines(lines: Sequence[OrderLine], wanted: dict[int, int]) -> Plan:
    """Allocate up to `wanted[line.id]` units to each line from sellable stock
    (locking it) and bump `line.allocated`; returns the plan (its shortfall
    says what could not be had). Lines are not saved."""
    product_ids = {x.product_id for x in lines if wanted.get(x.id)}
    candidates = sellable_candidates(product_ids)
    requests = [Request(x.id, x.product_id, wanted[x.id]) for x in lines if wanted.get(x.id)]
    plan = plan_allocation(requests, candidates)
    apply_plan(plan, line_ids={x.id: x.id for x in lines})
    for line in lines:
        move_units(line, plan.allocated(line.id), source="unallocated", target="allocated")
    return plan


def record_payment(*, order_id: int, amount: Decimal) -> None:
    SalesOrder.objects.filter(id=order_id).update(amount_paid=F("amount_paid") + amount)



def lock_order_with_lines(number: str) -> tuple[SalesOrder, list[OrderLine]]:
    """Lock an order for a change: its products' stock levels, the order,
    then its lines (the global lock order)."""
    oid = order_id(number)
    product_ids = list(OrderLine.objects.filter(order_id=oid).values_list("product_id",
                                                                          flat=True))
    if not product_ids:
        raise NotFound("orders.not_found", f"no order {number!r}")
    lock_stock_levels(product_ids=product_ids)
    order = lock_order(number)
    return order, lines_of(oid, lock=True)

"""Promises: waiting backorder lines claim open purchase-order supply, which
gives them their expected dates.

For each product, open supply (the outstanding quantity of `ordered` and
`partially_received` purchase orders) is used earliest expected date first
(then purchase order, then line), and waiting lines are served in the order
`allocation_policy` ranks them (`fillrate.backorders.ranking`) -- the same
range matching as stock allocation (`plan_allocation`), with purchase-order
lines in the place of stock levels. So the line that will get stock first is
promised the earliest delivery.

Dates:
- a line's expected date is the latest date of its promises when they cover
  all its waiting units, and unknown (None) when they do not;
- a backorder's expected date is the latest date of its waiting lines, and
  unknown when one of them has none -- unless a date was set by hand
  (`expected_date_manual`), which wins until it is cleared;
- a line or backorder with nothing waiting keeps the date it had.

`fillrate.backorders.feeding.repromise` rebuilds the promises of some
products and moves the dates that changed (by `repromise_set_based` or
`repromise_portable`, whichever path the one dialect switch there picks),
writing one `BackorderExpectedDateChanged` event per backorder whose date
moved. It runs in the caller's transaction, after the caller has locked the
products' stock levels: every path that changes waiting lines or open
supply takes those locks first, so two rebuilds of one product never
interleave. The set-based path is a handful of statements whatever the
number of lines; the portable one the pure `plan_promises` in Python. After
a receipt, `repromise_after_receipt` reaches the same result by shifting the
stored promises where that is provably the same (set-based path), and
rebuilds the rest.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from django.db import connection
from django.db.models import F

from fillrate.backorders import lifecycle
from fillrate.backorders.models import Backorder, BackorderLine, Promise, waiting_units
from fillrate.backorders.ranking import (
    WaitingLine,
    rank_order_sql,
    rank_waiting_lines,
    ranks_by_customer,
)
from fillrate.core.business import business_settings
from fillrate.core.event_types import EventType
from fillrate.core.events import record_events
from fillrate.core.models import Event
from fillrate.core.sql import number_sql, table
from fillrate.customers.models import Customer
from fillrate.inventory.allocation import Candidate, Request, plan_allocation
from fillrate.purchasing.lifecycle import OPEN as OPEN_PURCHASE_ORDER
from fillrate.purchasing.models import PurchaseOrder, PurchaseOrderLine


@dataclass(frozen=True)
class Supply:
    """Open quantity of one purchase-order line."""

    purchase_order_line_id: int
    purchase_order_id: int
    product_id: int
    outstanding: int
    expected_date: dt.date


@dataclass(frozen=True)
class PlannedPromise:
    line_id: int
    purchase_order_line_id: int
    quantity: int
    expected_date: dt.date


def plan_promises(ranked: Sequence[WaitingLine], supply: Iterable[Supply]) -> list[PlannedPromise]:
    """Promise each product's open supply, earliest first, to its waiting
    lines in the order given (already ranked by the policy)."""
    by_id = {s.purchase_order_line_id: s for s in supply}
    plan = plan_allocation(
        [Request(w.line_id, w.product_id, w.waiting) for w in ranked],
        [Candidate(stock_level_id=s.purchase_order_line_id, product_id=s.product_id,
                   free=s.outstanding, pick_sequence=s.expected_date.toordinal(),
                   location_id=s.purchase_order_id) for s in by_id.values()])
    return [PlannedPromise(t.key, t.stock_level_id, t.quantity,
                           by_id[t.stock_level_id].expected_date) for t in plan.takes]


def line_date(waiting: int, promised: Iterable[PlannedPromise]) -> dt.date | None:
    """The latest promise date when the promises cover every waiting unit."""
    rows = list(promised)
    if sum(p.quantity for p in rows) < waiting or not rows:
        return None
    return max(p.expected_date for p in rows)


def backorder_date(line_dates: Iterable[dt.date | None]) -> dt.date | None:
    """The latest date of the waiting lines; unknown if one line's is."""
    dates = list(line_dates)
    if not dates or any(d is None for d in dates):
        return None
    return max(dates)  # type: ignore[type-var]


def open_supply(product_ids: Iterable[int]) -> list[Supply]:
    """The open quantity of these products' ordered purchase-order lines."""
    outstanding = F("quantity") - F("received") - F("cancelled")
    rows = (PurchaseOrderLine.objects
            .filter(product_id__in=list(product_ids),
                    purchase_order__status__in=sorted(OPEN_PURCHASE_ORDER))
            .annotate(o=outstanding).filter(o__gt=0)
            .values_list("id", "purchase_order_id", "product_id", "o",
                         "purchase_order__expected_date"))
    return [Supply(*r) for r in rows]


def supplied_sql(product: str) -> str:
    """SQL for "the product `product` (a column) has open purchase-order
    supply or promises": only then can a new backorder line of it move
    promises (order placement asks this in its one lookup statement)."""
    return (f"(EXISTS (SELECT 1 FROM {table(Promise)} WHERE product_id = {product}) OR EXISTS"
            f" (SELECT 1 FROM {table(PurchaseOrderLine)} pol JOIN {table(PurchaseOrder)} po"
            f" ON po.id = pol.purchase_order_id WHERE pol.product_id = {product}"
            f" AND po.status IN ({', '.join(repr(x) for x in sorted(OPEN_PURCHASE_ORDER))})"
            f" AND pol.quantity > pol.received + pol.cancelled))")


def supplied_products() -> set[int]:
    """Products with open supply or promises: the ones whose promises a
    change of the allocation policy can move."""
    open_lines = PurchaseOrderLine.objects.filter(
        purchase_order__status__in=sorted(OPEN_PURCHASE_ORDER),
        quantity__gt=F("received") + F("cancelled"))
    return (set(Promise.objects.values_list("product_id", flat=True).distinct())
            | set(open_lines.values_list("product_id", flat=True).distinct()))


def waiting_lines(product_ids: Iterable[int]) -> list[tuple[WaitingLine, dt.date | None]]:
    """The waiting lines of active backorders of these products, each with
    its stored promised date."""
    waiting_expr = waiting_units()
    rows = (BackorderLine.objects
            .filter(product_id__in=list(product_ids), backorder__status__in=lifecycle.ACTIVE)
            .annotate(w=waiting_expr).filter(w__gt=0)
            .values_list("id", "backorder_id", "product_id", "w", "backorder__created_at",
                         "backorder__priority", "backorder__customer__vip", "promised_date"))
    return [(WaitingLine(line_id=r[0], backorder_id=r[1], product_id=r[2], waiting=r[3],
                         created_at=r[4], high=r[5] == "high", vip=r[6]), r[7]) for r in rows]


def repromise_portable(ids: list[int], changed: list[int], policy: str, *,
                       actor_id: int | None, cause: str) -> int:
    """Rebuild the promises of products `ids` in Python (any database); see
    `fillrate.backorders.feeding.repromise`."""
    lines = waiting_lines(ids)
    waiting = [w for w, _ in lines]
    planned = plan_promises(rank_waiting_lines(waiting, policy=policy), open_supply(ids))

    wanted = {(p.line_id, p.purchase_order_line_id): p for p in planned}
    have = {(p.backorder_line_id, p.purchase_order_line_id): p
            for p in Promise.objects.filter(product_id__in=ids)}
    stale = [p.id for key, p in have.items()
             if key not in wanted or (wanted[key].quantity, wanted[key].expected_date)
             != (p.quantity, p.expected_date)]
    if stale:
        Promise.objects.filter(id__in=stale).delete()
    product_of = {w.line_id: w.product_id for w in waiting}
    Promise.objects.bulk_create([
        Promise(backorder_line_id=p.line_id, purchase_order_line_id=p.purchase_order_line_id,
                product_id=product_of[p.line_id], quantity=p.quantity,
                expected_date=p.expected_date)
        for key, p in wanted.items()
        if key not in have or have[key].id in stale
    ], batch_size=500)

    by_line: dict[int, list[PlannedPromise]] = defaultdict(list)
    for p in planned:
        by_line[p.line_id].append(p)
    moved_lines: dict[dt.date | None, list[int]] = defaultdict(list)
    touched: set[int] = set(changed)
    for w, stored in lines:
        new = line_date(w.waiting, by_line.get(w.line_id, ()))
        if new != stored:
            moved_lines[new].append(w.line_id)
            touched.add(w.backorder_id)
    for date, line_ids in moved_lines.items():
        BackorderLine.objects.filter(id__in=line_ids).update(promised_date=date)
    return _move_backorder_dates(sorted(touched), actor_id=actor_id, cause=cause)


def _move_backorder_dates(backorder_ids: Sequence[int], *, actor_id: int | None,
                          cause: str) -> int:
    """Re-derive the dates of these backorders from their waiting lines
    (SQLite path; PostgreSQL does it in one statement)."""
    if not backorder_ids:
        return 0
    lines: dict[int, list[dt.date | None]] = defaultdict(list)
    for bid, date in (BackorderLine.objects.filter(backorder_id__in=backorder_ids)
                      .annotate(w=waiting_units()).filter(w__gt=0)
                      .values_list("backorder_id", "promised_date")):
        lines[bid].append(date)
    events = []
    for backorder in (Backorder.objects.filter(id__in=backorder_ids,
                                               status__in=lifecycle.ACTIVE,
                                               expected_date_manual=False)
                      .only("id", "expected_date")):
        if backorder.id not in lines:
            continue
        new = backorder_date(lines[backorder.id])
        if new == backorder.expected_date:
            continue
        events.append(_date_event(backorder.number, backorder.expected_date, new,
                                  actor_id=actor_id, cause=cause))
        Backorder.objects.filter(id=backorder.id).update(expected_date=new)
    record_events(events)
    return len(events)


def _date_event(number: str, old: dt.date | None, new: dt.date | None, *,
                actor_id: int | None, cause: str) -> dict:
    return {"type": EventType.BACKORDER_EXPECTED_DATE_CHANGED, "subject_type": "backorder",
            "subject": number, "actor_id": actor_id,
            "payload": {"field": "expected_date", "old": old, "new": new,
                        "source": "purchase_order", "cause": cause}}


PLAN_TABLE = "fillrate_promise_plan"
CHANGED_TABLE = "fillrate_promise_changed"


def repromise_set_based(ids: list[int], changed: list[int], policy: str, *,
                        actor_id: int | None, cause: str) -> int:
    """Rebuild the promises of products `ids` in a handful of statements
    (PostgreSQL); see `fillrate.backorders.feeding.repromise`."""
    bl, b, c = table(BackorderLine), table(Backorder), table(Customer)
    pol, po, promise = table(PurchaseOrderLine), table(PurchaseOrder), table(Promise)
    waiting = "(bl.quantity - bl.allocated - bl.fulfilled - bl.cancelled)"
    active = sorted(lifecycle.ACTIVE)
    with connection.cursor() as cursor:
        _create_work_tables(cursor)
        # Supply as ranges [hi - outstanding, hi) per product, earliest first;
        # waiting lines as ranges [hi - waiting, hi) in rank order: a line is
        # promised the overlap of its range with each supply range.
        cursor.execute(
            f"INSERT INTO {PLAN_TABLE} "
            f"WITH supply AS ("
            f" SELECT pol.id, pol.product_id, po.expected_date,"
            f" pol.quantity - pol.received - pol.cancelled AS open,"
            f" SUM(pol.quantity - pol.received - pol.cancelled) OVER (PARTITION BY"
            f"  pol.product_id ORDER BY po.expected_date, po.id, pol.id) AS hi,"
            f" SUM(pol.quantity - pol.received - pol.cancelled) OVER (PARTITION BY"
            f"  pol.product_id) AS total"
            f" FROM {pol} pol JOIN {po} po ON po.id = pol.purchase_order_id"
            f" WHERE pol.product_id = ANY(%s) AND po.status = ANY(%s)"
            f" AND pol.quantity - pol.received - pol.cancelled > 0),"
            f" waiting AS ("
            f" SELECT bl.id AS line_id, bl.product_id, {waiting} AS waiting,"
            f" SUM({waiting}) OVER (PARTITION BY bl.product_id ORDER BY"
            f"  {rank_order_sql(policy)}) AS hi"
            f" FROM {bl} bl JOIN {b} b ON b.id = bl.backorder_id"
            f"{f' JOIN {c} c ON c.id = b.customer_id' if ranks_by_customer(policy) else ''}"
            f" WHERE bl.product_id = ANY(%s) AND b.status = ANY(%s) AND {waiting} > 0)"
            f" SELECT w.line_id, s.id, w.product_id,"
            f" LEAST(w.hi, s.hi) - GREATEST(w.hi - w.waiting, s.hi - s.open), s.expected_date"
            f" FROM waiting w JOIN supply s ON s.product_id = w.product_id"
            f" AND s.hi - s.open < w.hi AND w.hi - w.waiting < s.hi"
            f" WHERE w.hi - w.waiting < s.total",
            [ids, sorted(OPEN_PURCHASE_ORDER), ids, active])
        planned = cursor.rowcount
        same = ("t.line_id = p.backorder_line_id AND t.po_line_id = p.purchase_order_line_id"
                " AND t.quantity = p.quantity AND t.expected_date = p.expected_date")
        cursor.execute(
            f"DELETE FROM {promise} p WHERE p.product_id = ANY(%s)"
            f" AND NOT EXISTS (SELECT 1 FROM {PLAN_TABLE} t WHERE {same})", [ids])
        if not planned and not cursor.rowcount and not changed:
            return 0  # no supply and no promises: every date is already unknown
        cursor.execute(f"ANALYZE {PLAN_TABLE}")
        cursor.execute(
            f"INSERT INTO {promise} (backorder_line_id, purchase_order_line_id, product_id,"
            f" quantity, expected_date)"
            f" SELECT t.line_id, t.po_line_id, t.product_id, t.quantity, t.expected_date"
            f" FROM {PLAN_TABLE} t WHERE NOT EXISTS (SELECT 1 FROM {promise} p"
            f" WHERE p.backorder_line_id = t.line_id AND {same})"
            f" ORDER BY t.line_id, t.po_line_id")
        # Lines: the latest promise date when the promises cover the waiting units.
        cursor.execute(
            f"WITH x AS (SELECT line_id, SUM(quantity) AS q, MAX(expected_date) AS d"
            f" FROM {PLAN_TABLE} GROUP BY line_id),"
            f" lines AS (SELECT bl.id, CASE WHEN x.q >= {waiting} THEN x.d END AS d"
            f" FROM {bl} bl JOIN {b} b ON b.id = bl.backorder_id"
            f" LEFT JOIN x ON x.line_id = bl.id"
            f" WHERE bl.product_id = ANY(%s) AND b.status = ANY(%s) AND {waiting} > 0),"
            f" moved AS (UPDATE {bl} bl SET promised_date = lines.d FROM lines"
            f" WHERE bl.id = lines.id AND bl.promised_date IS DISTINCT FROM lines.d"
            f" RETURNING bl.backorder_id)"
            f" INSERT INTO {CHANGED_TABLE} SELECT DISTINCT backorder_id FROM moved"
            f" UNION SELECT unnest(%s::bigint[])",
            [ids, active, changed])
        if not cursor.rowcount:
            return 0
        return _move_dates_of_changed(cursor, actor_id=actor_id, cause=cause)


def _create_work_tables(cursor) -> None:
    # Live as long as the connection; emptied at each commit and here.
    cursor.execute(
        f"CREATE TEMP TABLE IF NOT EXISTS {PLAN_TABLE} (line_id bigint, po_line_id bigint,"
        f" product_id bigint, quantity bigint, expected_date date) ON COMMIT DELETE ROWS")
    cursor.execute(f"CREATE TEMP TABLE IF NOT EXISTS {CHANGED_TABLE} (backorder_id bigint)"
                   f" ON COMMIT DELETE ROWS")
    cursor.execute(f"DELETE FROM {PLAN_TABLE}")
    cursor.execute(f"DELETE FROM {CHANGED_TABLE}")


def _move_dates_of_changed(cursor, *, actor_id: int | None, cause: str) -> int:
    """Backorders listed in the changed table: the latest date of their
    waiting lines, unknown if one line's is; one event per backorder whose
    date moved (PostgreSQL)."""
    bl, b = table(BackorderLine), table(Backorder)
    waiting = "(bl.quantity - bl.allocated - bl.fulfilled - bl.cancelled)"
    cursor.execute(
        f"WITH d AS (SELECT b.id, b.expected_date AS old,"
        f" CASE WHEN bool_and(bl.promised_date IS NOT NULL) THEN MAX(bl.promised_date)"
        f" END AS new"
        f" FROM {b} b JOIN {bl} bl ON bl.backorder_id = b.id"
        f" WHERE b.id IN (SELECT backorder_id FROM {CHANGED_TABLE})"
        f" AND b.status = ANY(%s) AND NOT b.expected_date_manual AND {waiting} > 0"
        f" GROUP BY b.id),"
        f" moved AS (UPDATE {b} b SET expected_date = d.new FROM d"
        f" WHERE b.id = d.id AND d.old IS DISTINCT FROM d.new"
        f" RETURNING b.id, d.old, d.new)"
        f" INSERT INTO {table(Event)} (type, subject_type, subject, actor_id, payload,"
        f" created_at)"
        f" SELECT '{EventType.BACKORDER_EXPECTED_DATE_CHANGED.value}', 'backorder',"
        f" {number_sql('BO', 'id')},"
        f" %s, jsonb_build_object('field', 'expected_date', 'old', old, 'new', new,"
        f" 'source', 'purchase_order', 'cause', %s::text), now()"
        f" FROM moved ORDER BY id",
        [sorted(lifecycle.ACTIVE), actor_id, cause])
    return cursor.rowcount


# -- after a receipt: shift instead of rebuilding (PostgreSQL) ----------------


@dataclass(frozen=True)
class Consumed:
    """Open supply a receipt used up: `quantity` outstanding units of
    purchase-order line `purchase_order_line_id`, of product `product_id`."""

    product_id: int
    purchase_order_line_id: int
    quantity: int


class FedLine(NamedTuple):
    """Units a backorder line was just given by a feed (a named tuple: a
    receipt makes 25,000 of them)."""

    line_id: int
    backorder_id: int
    product_id: int
    sku: str
    quantity: int


def repromise_after_receipt(*, consumed: Sequence[Consumed], fed: Sequence[FedLine],
                            actor_id: int | None = None, cause: str = "") -> int:
    """What a rebuild of the received products' promises would do, after a
    receipt whose stock was just fed to waiting lines (`fed`: what each line
    got) -- set-based path (PostgreSQL).

    Promises match waiting units in rank order against open supply earliest
    first, as ranges. Where the received line was the product's earliest
    open supply and the feed gave out exactly the units the receipt took off
    that line's outstanding quantity, both sides lose the same first units:
    every other overlap is unchanged. So each fed line's promise on the
    received line shrinks by what it got (gone at zero), no line's date moves
    (a fed-up line keeps its date; a partly fed one keeps its later
    promises), and only fed backorders that still wait re-derive their date.
    Any other product -- free stock fed along, an earlier purchase order
    still open, over-receipt -- is rebuilt in full. Returns how many
    backorders' dates moved."""
    ids = sorted({c.product_id for c in consumed})
    if not ids:
        return 0
    pol, po, promise = table(PurchaseOrderLine), table(PurchaseOrder), table(Promise)
    used = ("(SELECT * FROM unnest(%s::bigint[], %s::bigint[], %s::bigint[])"
            " AS u(product_id, po_line_id, units))")
    fed_per_product: dict[int, int] = defaultdict(int)
    for f in fed:
        fed_per_product[f.product_id] += f.quantity
    fed_sums = "(SELECT * FROM unnest(%s::bigint[], %s::bigint[]) AS f(product_id, q))"
    fed_sums_params = [list(fed_per_product), list(fed_per_product.values())]
    used_params = [[c.product_id for c in consumed], [c.purchase_order_line_id for c in consumed],
                   [c.quantity for c in consumed]]
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT u.product_id FROM {used} u"
            f" JOIN {pol} me ON me.id = u.po_line_id JOIN {po} mpo ON mpo.id = me.purchase_order_id"
            f" LEFT JOIN {fed_sums} fed ON fed.product_id = u.product_id"
            f" WHERE COALESCE(fed.q, 0) = u.units AND NOT EXISTS (SELECT 1 FROM {pol} o"
            f" JOIN {po} opo ON opo.id = o.purchase_order_id"
            f" WHERE o.product_id = u.product_id AND o.id <> me.id AND opo.status = ANY(%s)"
            f" AND o.quantity - o.received - o.cancelled > 0"
            f" AND (opo.expected_date, opo.id, o.id) < (mpo.expected_date, mpo.id, me.id))",
            [*used_params, *fed_sums_params, sorted(OPEN_PURCHASE_ORDER)])
        shifted = sorted({row[0] for row in cursor.fetchall()})
    rest = [i for i in ids if i not in shifted]
    moved = 0
    if rest:
        rebuilt = set(rest)
        moved = repromise_set_based(
            rest, sorted({f.backorder_id for f in fed if f.product_id in rebuilt}),
            business_settings().allocation_policy, actor_id=actor_id, cause=cause)
    if not shifted:
        return moved
    kept = set(shifted)
    took = [f for f in fed if f.product_id in kept]
    fed_table = ("(SELECT * FROM unnest(%s::bigint[], %s::bigint[], %s::bigint[])"
                 " AS f(line_id, product_id, quantity))")
    fed_params = [[f.line_id for f in took], [f.product_id for f in took],
                  [f.quantity for f in took]]
    with connection.cursor() as cursor:
        _create_work_tables(cursor)
        cursor.execute(
            f"WITH took AS MATERIALIZED (SELECT t.line_id, u.po_line_id,"
            f" SUM(t.quantity)::bigint AS q FROM {fed_table} t"
            f" JOIN {used} u ON u.product_id = t.product_id"
            f" GROUP BY t.line_id, u.po_line_id),"
            f" gone AS (DELETE FROM {promise} p USING took t"
            f" WHERE p.backorder_line_id = t.line_id AND p.purchase_order_line_id = t.po_line_id"
            f" AND p.quantity <= t.q)"
            f" UPDATE {promise} p SET quantity = p.quantity - t.q FROM took t"
            f" WHERE p.backorder_line_id = t.line_id AND p.purchase_order_line_id = t.po_line_id"
            f" AND p.quantity > t.q",
            [*fed_params, *used_params])
        # Only a fed backorder that still waits can have its date move.
        waits = sorted({f.backorder_id for f in took})
        cursor.execute(
            f"INSERT INTO {CHANGED_TABLE} SELECT b.id FROM {table(Backorder)} b"
            f" WHERE b.id = ANY(%s) AND b.status <> %s", [waits, lifecycle.READY])
        return moved + _move_dates_of_changed(cursor, actor_id=actor_id, cause=cause)

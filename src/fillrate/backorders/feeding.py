"""Feeding waiting backorders, and the one dialect switch of `backorders`.

Free stock goes to waiting backorder lines before it is free for anyone
else (DESIGN.md invariant 3), in the order `allocation_policy` gives. Every
path that frees or adds stock calls `feed_backorders` in its own
transaction: a receipt, an adjustment up, an order or backorder cancel, a
split, an oversold decision, stock lost from allocations.

Who comes first is the pure `fillrate.backorders.ranking`; which stock each
line gets is the pure `fillrate.inventory.allocation.plan_allocation`
(sellable stock levels in pick sequence). Applying the result is set-based:

- PostgreSQL: one statement ranks the waiting lines and matches running sums
  of their waiting units against running sums of free stock per product
  (window functions) into a per-connection temporary table of takes; the
  affected backorders are locked (global lock order: stock levels, orders,
  backorders, lines); one statement of data-modifying CTEs writes the
  allocation rows and backorder lines, and the stock levels' side goes
  through `fillrate.inventory.services.hold_stock`; one moves backorder
  statuses and writes the events (the SQL twin of `derive_status`). A
  receipt that satisfies tens of thousands of lines is a handful of
  statements.
- SQLite (where a round trip costs nothing and the write lock is held by the
  IMMEDIATE transaction): the same ranking and plan in Python, written in a
  few multi-row statements per chunk; statuses from the pure derivations.

On both, one `BackorderAllocated` event per backorder that got stock, and
the products' promises are rebuilt. Orders are not touched: an order line
counts a backorder's units in `backordered` until they ship, whether the
backorder holds stock for them yet or not, so neither its buckets nor its
status move when a backorder gets stock.

Which path runs is decided in one place, `path()`: the set-based
statements on PostgreSQL, the portable ones elsewhere. Both are run against
each other on PostgreSQL by the tests (`portable_path()` forces the
portable one), as `derive_status` and its SQL twin are.
"""

from __future__ import annotations

import contextvars
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import NamedTuple

from django.db import connection, transaction
from django.db.models import Sum

from fillrate.backorders import lifecycle
from fillrate.backorders.models import Backorder, BackorderLine, waiting_units
from fillrate.backorders.promises import (
    Consumed,
    FedLine,
    repromise_after_receipt,
    repromise_portable,
    repromise_set_based,
)
from fillrate.backorders.ranking import (
    WaitingLine,
    rank_order_sql,
    rank_waiting_lines,
    ranks_by_customer,
)
from fillrate.catalog.models import Product
from fillrate.core.business import business_settings
from fillrate.core.errors import Busy
from fillrate.core.event_types import EventType
from fillrate.core.models import Event
from fillrate.core.numbers import format_number
from fillrate.core.sql import add_to_column, fetch, number_sql, set_based, table
from fillrate.customers.models import Customer
from fillrate.inventory.allocation import Plan, Request, plan_allocation
from fillrate.inventory.models import SELLABLE_KINDS, Location, StockLevel
from fillrate.inventory.services import hold_stock
from fillrate.orders import services as orders
from fillrate.orders.models import Allocation

# Rows per statement where a statement carries one parameter group per row.
CHUNK = 2000


# Named tuples, not dataclasses: a receipt makes 25,000 of each, and a
# frozen dataclass costs ten times as much to build.
class Fed(NamedTuple):
    backorder: str  # backorder number, e.g. "BO-000012"
    sku: str
    quantity: int


# What one backorder line got from a feed (summed over stock levels): a
# named tuple, as `Fed` (see there).
_Given = FedLine


def feed_backorders(*, product_ids: Iterable[int], actor_id: int | None = None,
                    cause: str = "", consumed: Sequence[Consumed] = (),
                    changed_backorders: Iterable[int] = (),
                    passed_over: Iterable[int] = ()) -> list[Fed]:
    """Give free sellable stock of these products to waiting backorder lines,
    by the business setting `allocation_policy`.

    Runs inside the caller's transaction, after the caller has locked the
    products' stock levels with `fillrate.inventory.locks.lock_stock_levels`
    (global lock order: stock levels by product id, then orders, then
    backorders, then lines); it locks the backorders it feeds. The backorder
    line's `allocated` grows and an allocation row of its order line holds
    the unit at a stock level (the order line keeps counting it as
    `backordered` until it ships). Fully allocated backorders become `ready`,
    partly allocated ones stay `open`. Writes
    one `BackorderAllocated` event per backorder that got stock (`cause` says
    why, e.g. "PO-000003" or "adjustment"). Backorders named in
    `passed_over` get nothing this time (a split's own new backorder: the
    stock it released goes to the others). Then the products' promises are
    rebuilt (`repromise`): the waiting lines, and for a receipt the open
    supply, have changed. A receipt names the open supply it `consumed`,
    which on the set-based path lets the promises be shifted rather than
    rebuilt where that gives the same result (`repromise_after_receipt`).
    `changed_backorders` names backorders whose waiting lines the caller
    changed (a cancel): their dates are derived again with the fed ones.
    Returns what each backorder line got, by product, first in line first.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("feed_backorders must run inside the caller's transaction")
    ids = sorted(set(product_ids))
    if not ids:
        return []
    policy = business_settings().allocation_policy
    chosen = path()
    given = chosen.feed(ids, policy, actor_id=actor_id, cause=cause,
                        passed_over=sorted(set(passed_over)))
    # Waiting lines (and, for a receipt, open supply) changed: promises follow.
    if consumed and chosen.shifts_promises:
        repromise_after_receipt(
            consumed=consumed, actor_id=actor_id, cause=cause,
            fed=given)
    else:
        chosen.repromise(ids, sorted({*changed_backorders, *(g.backorder_id for g in given)}),
                         policy, actor_id=actor_id, cause=cause)
    return [Fed(backorder=format_number(Backorder.PREFIX, g.backorder_id), sku=g.sku,
                quantity=g.quantity) for g in given]


def repromise(*, product_ids: Iterable[int], backorder_ids: Iterable[int] = (),
              actor_id: int | None = None, cause: str = "") -> int:
    """Rebuild the promises of these products and move the expected dates
    that follow from them (see `fillrate.backorders.promises`).
    `backorder_ids` names backorders whose waiting lines changed -- a line
    got stock or was cancelled -- so their dates are derived again even
    where no line's date moves. `cause` names what changed (a purchase order
    number, a backorder number, "order"...). Runs in the caller's
    transaction after it locked the products' stock levels. Returns how
    many backorders' dates moved."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("repromise must run inside the caller's transaction")
    ids = sorted(set(product_ids))
    if not ids:
        return 0
    return path().repromise(ids, sorted(set(backorder_ids)),
                            business_settings().allocation_policy,
                            actor_id=actor_id, cause=cause)


# -- the one dialect switch ---------------------------------------------------


@dataclass(frozen=True)
class Path:
    """How feeding and promising run on this database."""

    name: str
    feed: Callable[..., list[_Given]]
    repromise: Callable[..., int]
    shifts_promises: bool  # after a receipt, shift the promises where provably the same


_forced: contextvars.ContextVar[Path | None] = contextvars.ContextVar("feeding_path",
                                                                      default=None)


def path() -> Path:
    """The set-based statements on PostgreSQL, the portable path elsewhere
    (or where `portable_path()` asks for it)."""
    return _forced.get() or (SET_BASED if set_based() else PORTABLE)


@contextmanager
def portable_path() -> Iterator[None]:
    """Run the portable path on any database (the tests hold the two paths
    to the same results on PostgreSQL)."""
    token = _forced.set(PORTABLE)
    try:
        yield
    finally:
        _forced.reset(token)


# -- SQLite (and any other database): plan in Python, write per chunk --------


def _feed_in_python(ids: list[int], policy: str, *, actor_id: int | None, cause: str,
                    passed_over: Sequence[int] = ()) -> list[_Given]:
    candidates = orders.sellable_candidates(ids)
    with_stock = sorted({c.product_id for c in candidates if c.free > 0})
    if not with_stock:
        return []
    skipped = set(passed_over)
    waiting = {w: ol for w, ol in _waiting_lines(with_stock).items()
               if w.backorder_id not in skipped}
    if not waiting:
        return []
    ranked = rank_waiting_lines(waiting.keys(), policy=policy)
    plan = plan_allocation([Request(w.line_id, w.product_id, w.waiting) for w in ranked],
                           candidates)
    if not plan.takes:
        return []
    by_line = {w.line_id: (w, order_line) for w, order_line in waiting.items()}
    got: dict[int, int] = defaultdict(int)
    for take in plan.takes:
        got[take.key] += take.quantity
    _lock_backorders(sorted({by_line[k][0].backorder_id for k in got}))
    for start in range(0, len(plan.takes), CHUNK):
        takes = plan.takes[start:start + CHUNK]
        orders.apply_plan(Plan(takes), line_ids={t.key: by_line[t.key][1] for t in takes})
    per_line = dict(got)
    _add_in_chunks(BackorderLine, "allocated", per_line)
    skus = dict(Product.objects.filter(id__in=with_stock).values_list("id", "sku"))
    rank = {w.line_id: i for i, w in enumerate(ranked)}
    order = sorted(per_line, key=lambda k: (by_line[k][0].product_id, rank[k]))
    given = [_Given(k, by_line[k][0].backorder_id, by_line[k][0].product_id,
                    skus[by_line[k][0].product_id], per_line[k]) for k in order]
    _refresh_statuses_and_record(given, actor_id=actor_id, cause=cause)
    return given


def _waiting_lines(product_ids: list[int]) -> dict[WaitingLine, int]:
    """Waiting lines of active backorders -> their order line id."""
    waiting = waiting_units()
    rows = (BackorderLine.objects.filter(product_id__in=product_ids,
                                         backorder__status__in=lifecycle.ACTIVE)
            .annotate(w=waiting).filter(w__gt=0)
            .values_list("id", "backorder_id", "product_id", "w", "backorder__created_at",
                         "backorder__priority", "backorder__customer__vip", "order_line_id"))
    return {WaitingLine(line_id=r[0], backorder_id=r[1], product_id=r[2], waiting=r[3],
                        created_at=r[4], high=r[5] == "high", vip=r[6]): r[7] for r in rows}


def _add_in_chunks(model, field: str, deltas: dict[int, int]) -> None:
    items = list(deltas.items())
    for start in range(0, len(items), CHUNK):
        add_to_column(model, field, dict(items[start:start + CHUNK]))


def _lock_backorders(ids: Sequence[int]) -> None:
    """Lock backorders in id order (the global lock order), so statuses
    derived from all their lines are not raced by a feed of another product
    of the same backorders."""
    for start in range(0, len(ids), CHUNK):
        list(Backorder.objects.select_for_update(of=("self",)).filter(
            id__in=ids[start:start + CHUNK]).order_by("id").values_list("id", flat=True))


# -- PostgreSQL: window functions over the ranked lines, set-based writes ----

FEED_TABLE = "fillrate_feed_takes"
WORK_MEM = "64MB"
ATTEMPTS = 5


def _feed_set_based(ids: list[int], policy: str, *, actor_id: int | None, cause: str,
                    passed_over: Sequence[int] = ()) -> list[_Given]:
    bl, b, c = table(BackorderLine), table(Backorder), table(Customer)
    sl, loc = table(StockLevel), table(Location)
    if not ids:
        return []
    with connection.cursor() as cursor:
        # Sorts of tens of thousands of ranked lines stay in memory.
        cursor.execute(f"SET LOCAL work_mem = '{WORK_MEM}'")
        # Lives as long as the connection; emptied at each commit and here.
        cursor.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS {FEED_TABLE} (line_id bigint, "
            "backorder_id bigint, order_line_id bigint, product_id bigint, "
            "rank bigint, level_id bigint, quantity bigint, waiting bigint)"
            " ON COMMIT DELETE ROWS")
        waiting = "(bl.quantity - bl.allocated - bl.fulfilled - bl.cancelled)"
        order_by = rank_order_sql(policy)
        # Free stock per product as ranges [hi - free, hi) in pick sequence, and
        # waiting lines as ranges [hi - waiting, hi) in rank order: a line takes
        # the overlap of its range with each stock level's range.
        takes_sql = (
            f"INSERT INTO {FEED_TABLE} "
            f"WITH free AS ("
            f" SELECT sl.id AS level_id, sl.product_id, sl.on_hand - sl.allocated AS free,"
            f" SUM(sl.on_hand - sl.allocated) OVER (PARTITION BY sl.product_id"
            f"  ORDER BY loc.pick_sequence, sl.location_id, sl.id) AS hi"
            f" FROM {sl} sl JOIN {loc} loc ON loc.id = sl.location_id"
            f" WHERE sl.product_id = ANY(%s) AND loc.kind = ANY(%s)"
            f" AND sl.on_hand > sl.allocated),"
            f" supply AS (SELECT product_id, MAX(hi) AS total FROM free GROUP BY product_id),"
            f" waiting AS ("
            f" SELECT bl.id AS line_id, bl.backorder_id, bl.order_line_id,"
            f" bl.product_id, {waiting} AS waiting,"
            f" SUM({waiting}) OVER w AS hi, ROW_NUMBER() OVER w AS rank"
            f" FROM {bl} bl JOIN {b} b ON b.id = bl.backorder_id"
            f"{f' JOIN {c} c ON c.id = b.customer_id' if ranks_by_customer(policy) else ''}"
            f" WHERE bl.product_id = ANY(%s) AND b.status = ANY(%s) AND {waiting} > 0"
            f"{' AND NOT (b.id = ANY(%s))' if passed_over else ''}"
            f" WINDOW w AS (PARTITION BY bl.product_id ORDER BY {order_by}))"
            f" SELECT w.line_id, w.backorder_id, w.order_line_id, w.product_id,"
            f" w.rank, f.level_id,"
            f" LEAST(w.hi, f.hi) - GREATEST(w.hi - w.waiting, f.hi - f.free), w.waiting"
            f" FROM waiting w JOIN supply s ON s.product_id = w.product_id"
            f" JOIN free f ON f.product_id = w.product_id"
            f" AND f.hi - f.free < w.hi AND w.hi - w.waiting < f.hi"
            f" WHERE w.hi - w.waiting < s.total")
        params = [ids, [str(k) for k in SELLABLE_KINDS], ids, sorted(lifecycle.ACTIVE),
                  *([list(passed_over)] if passed_over else [])]
        al, product = table(Allocation), table(Product)
        # The write is guarded: a line is only written while it still waits
        # for what it waited for when the takes were planned. A product that
        # had no stock level rows when a cancel of its lines began gave the
        # cancel nothing to lock, so such a line may have changed since; then
        # the write is undone (to a savepoint) and planned again.
        write_sql = (
            f"WITH x AS (SELECT order_line_id, level_id, SUM(quantity) AS q FROM {FEED_TABLE}"
            f" GROUP BY order_line_id, level_id),"
            f" grown AS (UPDATE {al} al SET quantity = al.quantity + x.q FROM x"
            f" WHERE al.order_line_id = x.order_line_id AND al.stock_level_id = x.level_id),"
            f" alloc AS (INSERT INTO {al} (order_line_id, stock_level_id, quantity)"
            f" SELECT order_line_id, level_id, q FROM x WHERE NOT EXISTS (SELECT 1 FROM {al} al"
            f" WHERE al.order_line_id = x.order_line_id AND al.stock_level_id = x.level_id)"
            f" ORDER BY order_line_id, level_id),"
            f" bo_lines AS (UPDATE {bl} bl SET allocated = bl.allocated + x.q"
            f" FROM (SELECT line_id, SUM(quantity) AS q, MIN(waiting) AS waiting"
            f" FROM {FEED_TABLE} GROUP BY line_id) x"
            f" WHERE bl.id = x.line_id AND {waiting} = x.waiting RETURNING 1)"
            f" SELECT (SELECT COUNT(*) FROM bo_lines),"
            f" (SELECT COUNT(DISTINCT line_id) FROM {FEED_TABLE})")
        for _attempt in range(ATTEMPTS):
            cursor.execute(f"DELETE FROM {FEED_TABLE}")
            cursor.execute(takes_sql, params)
            if not cursor.rowcount:
                return []
            cursor.execute(
                f"SELECT id FROM {b} WHERE id IN "
                f"(SELECT DISTINCT backorder_id FROM {FEED_TABLE}) ORDER BY id FOR UPDATE")
            # Row count and the distinct lines and backorders the writes group
            # by: without them the planner guesses 200 groups and loops.
            cursor.execute(f"ANALYZE {FEED_TABLE} (line_id, backorder_id)")
            savepoint = transaction.savepoint()
            cursor.execute(write_sql)
            written, planned = cursor.fetchone()
            if written == planned:
                # The stock side of the new allocations: the stock levels'
                # owner writes it (a handful of levels per product).
                hold_stock(dict(fetch(f"SELECT level_id, SUM(quantity)::bigint FROM"
                                      f" {FEED_TABLE} GROUP BY level_id")))
                transaction.savepoint_commit(savepoint)
                break
            transaction.savepoint_rollback(savepoint)
        else:
            raise Busy("request.busy", "the backorders involved kept changing: try again in "
                       "a moment (nothing was changed)")
        # Statuses follow the lines (the SQL twin of the pure derivation);
        # one BackorderAllocated event per backorder that got stock.
        derived = lifecycle.derive_status_sql(quantity="s.q", allocated="s.a",
                                              fulfilled="s.f", cancelled="s.c")
        cursor.execute(
            f"WITH s AS (SELECT backorder_id, SUM(quantity) AS q, SUM(allocated) AS a,"
            f" SUM(fulfilled) AS f, SUM(cancelled) AS c FROM {bl}"
            f" WHERE backorder_id IN (SELECT backorder_id FROM {FEED_TABLE})"
            f" GROUP BY backorder_id),"
            f" d AS (SELECT b.id, b.status AS old, {derived} AS new"
            f" FROM {b} b JOIN s ON s.backorder_id = b.id),"
            f" moved AS (UPDATE {b} b SET status = d.new FROM d"
            f" WHERE b.id = d.id AND d.new <> d.old),"
            # The lines aggregate in the order of the sorted input (no sort
            # per backorder).
            f" per AS (SELECT t.backorder_id, json_agg(json_build_object("
            f"'sku', t.sku, 'quantity', t.q)) AS lines"
            f" FROM (SELECT x.backorder_id, p.sku, x.q FROM (SELECT backorder_id, product_id,"
            f" rank, SUM(quantity) AS q FROM {FEED_TABLE} GROUP BY backorder_id, product_id,"
            f" rank) x JOIN {product} p ON p.id = x.product_id"
            f" ORDER BY x.backorder_id, x.product_id, x.rank) t GROUP BY t.backorder_id)"
            f" INSERT INTO {table(Event)} (type, subject_type, subject, actor_id, payload,"
            f" created_at) SELECT '{EventType.BACKORDER_ALLOCATED.value}', 'backorder',"
            f" {number_sql(Backorder.PREFIX, 'd.id')}, %s, json_build_object("
            f"'cause', %s::text, 'status', d.new, 'lines', per.lines)::jsonb, now()"
            f" FROM per JOIN d ON d.id = per.backorder_id ORDER BY d.id",
            [actor_id, cause])
        cursor.execute(
            f"SELECT t.line_id, t.backorder_id, t.product_id, p.sku, SUM(t.quantity)::bigint"
            f" FROM {FEED_TABLE} t JOIN {product} p ON p.id = t.product_id"
            f" GROUP BY t.line_id, t.backorder_id, p.sku, t.product_id, t.rank"
            f" ORDER BY t.product_id, t.rank")
        return list(map(_Given._make, cursor.fetchall()))


# -- both: statuses and events -----------------------------------------------


def _chunks(ids: Sequence[int]):
    for start in range(0, len(ids), CHUNK * 5):
        yield ids[start:start + CHUNK * 5]


def _refresh_statuses_and_record(given: list[_Given], *, actor_id: int | None,
                                 cause: str) -> None:
    backorder_ids = sorted({g.backorder_id for g in given})

    status_of: dict[int, str] = {}
    moves: dict[str, list[int]] = defaultdict(list)
    for part in _chunks(backorder_ids):
        rows = (BackorderLine.objects.filter(backorder_id__in=part)
                .values("backorder_id", "backorder__status")
                .annotate(q=Sum("quantity"), a=Sum("allocated"), f=Sum("fulfilled"),
                          c=Sum("cancelled")))
        for r in rows:
            new = lifecycle.derive_status([lifecycle.LineQuantities(r["q"], r["a"], r["f"],
                                                                    r["c"])])
            lifecycle.check(r["backorder__status"], new)
            status_of[r["backorder_id"]] = new
            if new != r["backorder__status"]:
                moves[new].append(r["backorder_id"])
    _set_status(Backorder, moves)

    per_backorder: dict[int, list[dict]] = defaultdict(list)
    for g in given:
        per_backorder[g.backorder_id].append({"sku": g.sku, "quantity": g.quantity})
    _insert_events([
        (Backorder(id=bid).number, {"cause": cause, "status": status_of[bid], "lines": lines})
        for bid, lines in sorted(per_backorder.items())
    ], actor_id=actor_id)


def _set_status(model, moves: dict[str, list[int]]) -> None:
    for status, ids in moves.items():
        for part in _chunks(ids):
            model.objects.filter(id__in=part).update(status=status)


def _insert_events(rows: list[tuple[str, dict]], *, actor_id: int | None) -> None:
    """`BackorderAllocated` events, in batches (PostgreSQL writes them in its
    status statement)."""
    Event.objects.bulk_create([
        Event(type=EventType.BACKORDER_ALLOCATED, subject_type="backorder", subject=subject,
              actor_id=actor_id, payload=payload) for subject, payload in rows
    ], batch_size=500)


PORTABLE = Path("portable", feed=_feed_in_python, repromise=repromise_portable,
                shifts_promises=False)
SET_BASED = Path("set_based", feed=_feed_set_based, repromise=repromise_set_based,
                 shifts_promises=True)

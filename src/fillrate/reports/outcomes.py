"""Each order's first-shipment outcome, kept for the fill-rate report.

The report's definitions (`fill_rate`) need, per order, its first dispatched
fulfillment, what of the order's own that shipment carried per line, whether
the order has a backorder and whether anything of its own is still held. Read
live at a million orders that is seconds per report; so the outcome of each
order is stored (`OrderOutcome`, and per line `LineOutcome` for the product
breakdown) and the report reads the stored rows.

Keeping them exact without trusting every write path: database triggers on
the tables whose rows decide an outcome (orders, order lines, fulfillments,
fulfillment lines, backorders) mark the order in `OutcomeMark`, in the
statement that changed it. `refresh()` recomputes the marked orders from the
source rows with the one definition below (`_LINE_OUTCOMES`) and clears their
marks; the report calls it before it reads, the worker between deliveries
(`fillrate worker`), so a read finds few or no marks. `outcome_problems()`
(part of the invariant check after order and fulfilment tests) recomputes
every order and compares: a write path the marks missed shows up there.

Concurrency (PostgreSQL): marks are appended, never updated, so marking
takes no lock. A refresh deletes the marks committed before its DELETE and,
in its next statement, reads every change those marks stand for (they
committed together); a mark committed later stays for the next refresh.
Refreshes take a transaction-level advisory lock, so an older computation
never overwrites a newer one.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import connection, transaction

from fillrate.core.sql import as_aware_time, set_based
from fillrate.fulfilment import lifecycle as ff_lifecycle
from fillrate.orders.models import OrderStatus

MARK = "reports_outcomemark"
ORDER_OUT = "reports_orderoutcome"
LINE_OUT = "reports_lineoutcome"
FILLED = "reports_filledline"
CLAIMED = "reports_claimed"
LOCK_KEY = 0x0F111A7E  # pg_advisory_xact_lock key of refresh()
ANALYZE_FROM = 1000  # claimed orders from which refresh() gives the planner statistics

SHIPPED = f"('{ff_lifecycle.DISPATCHED}', '{ff_lifecycle.DELIVERED}')"

# The source tables and, per statement kind, the orders a change touches:
# (the order id, a table to join as (table, alias, on), a condition).
# `{n}`/`{o}` are the new and old rows (transition tables on PostgreSQL,
# NEW/OLD in SQLite row triggers), `{ne}` a null-safe "differs".
_FULFILLMENT = ("fulfilment_fulfillment", "f", "f.id = {r}.fulfillment_id")
_BACKORDER = ("backorders_backorder", "b", "b.id = {r}.backorder_id")
_SOURCES = {
    "orders_salesorder": {
        "INSERT": ("{n}.id", None, ""),
        "UPDATE": ("{n}.id", None, "{n}.status <> {o}.status OR {n}.created_at <> {o}.created_at "
                                   "OR {n}.customer_id <> {o}.customer_id"),
        "DELETE": ("{o}.id", None, ""),
    },
    "orders_orderline": {
        "INSERT": ("{n}.order_id", None, ""),
        "UPDATE": ("{n}.order_id", None, "{n}.quantity <> {o}.quantity "
                   "OR {n}.allocated <> {o}.allocated OR {n}.product_id <> {o}.product_id"),
        "DELETE": ("{o}.order_id", None, ""),
    },
    "fulfilment_fulfillment": {
        "INSERT": ("{n}.order_id", None, "{n}.status IN " + SHIPPED),
        "UPDATE": ("{n}.order_id", None, "{n}.status <> {o}.status "
                   "OR {n}.dispatched_at {ne} {o}.dispatched_at"),
        "DELETE": ("{o}.order_id", None, "{o}.status IN " + SHIPPED),
    },
    # Lines of a pending fulfillment decide nothing until it is dispatched,
    # and dispatching marks the order through the fulfillment.
    "fulfilment_fulfillmentline": {
        "INSERT": ("f.order_id", _FULFILLMENT, "f.status IN " + SHIPPED),
        "UPDATE": ("f.order_id", _FULFILLMENT, "f.status IN " + SHIPPED),
        "DELETE": ("f.order_id", _FULFILLMENT, "f.status IN " + SHIPPED),
    },
    "backorders_backorder": {
        "INSERT": ("{n}.order_id", None, ""),
        "UPDATE": ("{n}.order_id", None, "{n}.created_at <> {o}.created_at "
                   "OR {n}.customer_id <> {o}.customer_id"),
        "DELETE": ("{o}.order_id", None, ""),
    },
    # Days to fill: a line closing or reopening (feeding changes `allocated`
    # only, and marks nothing).
    "backorders_backorderline": {
        "INSERT": ("b.order_id", _BACKORDER, ""),
        "UPDATE": ("b.order_id", _BACKORDER, "{n}.quantity <> {o}.quantity "
                   "OR {n}.fulfilled <> {o}.fulfilled OR {n}.cancelled <> {o}.cancelled"),
        "DELETE": ("b.order_id", _BACKORDER, ""),
    },
}


def _name(table: str, op: str) -> str:
    return f"reports_mark_{table.split('_', 1)[1]}_{op.lower()}"


def _select(table: str, op: str, vendor: str) -> str:
    """The marked orders' ids (as order_id) for one statement kind on one table."""
    expr, join, where = _SOURCES[table][op]
    row = "o" if op == "DELETE" else "n"
    pg = vendor == "postgresql"
    names = {"n": "n", "o": "o", "ne": "IS DISTINCT FROM"} if pg else {
        "n": "NEW", "o": "OLD", "ne": "IS NOT"}
    expr, where = expr.format(**names), where.format(**names)
    conds = [where] if where else []
    if pg:
        rows = {"INSERT": "new_rows n", "DELETE": "old_rows o",
                "UPDATE": "new_rows n JOIN old_rows o ON o.id = n.id"}[op]
        if join:
            rows += f" JOIN {join[0]} {join[1]} ON {join[2].format(r=row)}"
        tail = f" WHERE {' AND '.join(f'({c})' for c in conds)}" if conds else ""
        return f"SELECT {expr} AS order_id FROM {rows}{tail}"
    source = ""
    if join:
        source = f" FROM {join[0]} {join[1]}"
        conds.insert(0, join[2].format(r=names[row]))
    tail = f" WHERE {' AND '.join(f'({c})' for c in conds)}" if conds else ""
    return f"SELECT {expr} AS order_id{source}{tail}"


# --- PostgreSQL: statement-level triggers over transition tables ----------

def _pg_install() -> list[str]:
    out = []
    for table, ops in _SOURCES.items():
        for op in ops:
            name = _name(table, op)
            refs = {"INSERT": "NEW TABLE AS new_rows", "DELETE": "OLD TABLE AS old_rows",
                    "UPDATE": "OLD TABLE AS old_rows NEW TABLE AS new_rows"}[op]
            out += [f"""
CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO {MARK} (order_id)
  SELECT DISTINCT x.order_id FROM ({_select(table, op, "postgresql")}) x
  WHERE x.order_id IS NOT NULL;
  RETURN NULL;
END $$;""", f"DROP TRIGGER IF EXISTS {name} ON {table}",
                    f"CREATE TRIGGER {name} AFTER {op} ON {table} REFERENCING {refs} "
                    f"FOR EACH STATEMENT EXECUTE FUNCTION {name}()"]
    return out


# --- SQLite: row triggers ---------------------------------------------------

def _sqlite_install() -> list[str]:
    out = []
    for table, ops in _SOURCES.items():
        for op in ops:
            name = _name(table, op)
            out += [f"DROP TRIGGER IF EXISTS {name}",
                    f"CREATE TRIGGER {name} AFTER {op} ON {table} FOR EACH ROW BEGIN "
                    f"INSERT INTO {MARK} (order_id) SELECT x.order_id "
                    f"FROM ({_select(table, op, 'sqlite')}) x WHERE x.order_id IS NOT NULL; END"]
    return out


def install_statements(vendor: str) -> list[str]:
    return _pg_install() if vendor == "postgresql" else _sqlite_install()


def drop_statements(vendor: str) -> list[str]:
    out = []
    for table, ops in _SOURCES.items():
        for op in ops:
            on = f" ON {table}" if vendor == "postgresql" else ""
            out.append(f"DROP TRIGGER IF EXISTS {_name(table, op)}{on}")
    return out


# --- the definition -------------------------------------------------------

def _line_outcomes(orders: str) -> str:
    """Per order line of the orders in `orders` (a SELECT of order ids): its
    first-shipment units and its order's outcome. The definitions are
    `fill_rate`'s:

    - first shipment: the order's earliest dispatched fulfillment (by
      dispatch time, then id); only its units of the order's own count;
    - counted: the first shipment exists, or the order has a backorder and
      nothing of its own is held (no allocated units on its lines);
    - order_complete: every line's first-shipment units cover the line."""
    return f"""
        WITH o AS (
            SELECT o.id, o.customer_id, o.created_at,
                   CASE WHEN o.status = '{OrderStatus.CANCELLED}' THEN 1 ELSE 0 END AS cancelled
            FROM orders_salesorder o WHERE o.id IN ({orders})),
        ff AS (
            SELECT order_id, id FROM (
                SELECT f.order_id, f.id, ROW_NUMBER() OVER (
                    PARTITION BY f.order_id ORDER BY f.dispatched_at, f.id) AS rn
                FROM fulfilment_fulfillment f JOIN o ON o.id = f.order_id
                WHERE f.status IN {SHIPPED} AND f.dispatched_at IS NOT NULL) x
            WHERE rn = 1),
        fu AS (
            SELECT fl.order_line_id, SUM(fl.quantity) AS units
            FROM fulfilment_fulfillmentline fl JOIN ff ON ff.id = fl.fulfillment_id
            WHERE fl.backorder_line_id IS NULL GROUP BY fl.order_line_id),
        bo AS (
            SELECT DISTINCT b.order_id FROM backorders_backorder b JOIN o ON o.id = b.order_id),
        l AS (
            SELECT ol.id, ol.order_id, ol.product_id, o.customer_id, o.created_at, o.cancelled,
                   ol.quantity, ol.allocated, COALESCE(fu.units, 0) AS first_units,
                   CASE WHEN ff.id IS NULL THEN 0 ELSE 1 END AS shipped,
                   CASE WHEN bo.order_id IS NULL THEN 0 ELSE 1 END AS backordered
            FROM orders_orderline ol JOIN o ON o.id = ol.order_id
            LEFT JOIN fu ON fu.order_line_id = ol.id
            LEFT JOIN ff ON ff.order_id = ol.order_id
            LEFT JOIN bo ON bo.order_id = ol.order_id),
        w AS (
            SELECT l.*,
                   MIN(CASE WHEN l.first_units >= l.quantity THEN 1 ELSE 0 END)
                       OVER (PARTITION BY l.order_id) AS order_complete,
                   SUM(l.allocated) OVER (PARTITION BY l.order_id) AS held
            FROM l)
        SELECT w.id AS order_line_id, w.order_id, w.product_id, w.customer_id, w.created_at,
               w.quantity, w.first_units, w.order_complete, w.backordered,
               CASE WHEN w.shipped = 1 OR (w.backordered = 1 AND w.held = 0) THEN 1 ELSE 0 END
                   AS counted,
               w.cancelled
        FROM w"""


LINE_COLUMNS = ("order_line_id, order_id, product_id, customer_id, created_at, quantity, "
                "first_units, order_complete, backordered, counted, cancelled")
ORDER_COLUMNS = ("order_id, customer_id, created_at, lines, units, first_units, "
                 "lines_complete, complete, backordered, counted, cancelled")


def _orders_from(lines: str) -> str:
    """Order outcomes folded from line outcomes (`lines`: a table or subquery)."""
    return f"""
        SELECT order_id, MAX(customer_id), MAX(created_at), COUNT(*), SUM(quantity),
               SUM(first_units), SUM(CASE WHEN first_units >= quantity THEN 1 ELSE 0 END),
               MAX(order_complete), MAX(backordered), MAX(counted), MAX(cancelled)
        FROM {lines} GROUP BY order_id"""


FILLED_COLUMNS = "backorder_line_id, order_id, product_id, customer_id, created_at, filled_at"


def _filled_lines(orders: str) -> str:
    """The filled backorder lines of the orders in `orders`: nothing of the
    line left open, some of it dispatched; filled when its last unit was."""
    return f"""
        SELECT bl.id AS backorder_line_id, b.order_id, bl.product_id, b.customer_id,
               b.created_at, MAX(f.dispatched_at) AS filled_at
        FROM backorders_backorderline bl JOIN backorders_backorder b ON b.id = bl.backorder_id
        JOIN fulfilment_fulfillmentline fl ON fl.backorder_line_id = bl.id
        JOIN fulfilment_fulfillment f ON f.id = fl.fulfillment_id
        WHERE b.order_id IN ({orders}) AND bl.fulfilled > 0
          AND bl.fulfilled + bl.cancelled = bl.quantity
          AND f.status IN {SHIPPED} AND f.dispatched_at IS NOT NULL
        GROUP BY bl.id, b.order_id, bl.product_id, b.customer_id, b.created_at"""


def _recompute(cursor, orders: str, *, filled: bool = True) -> None:
    if filled:
        cursor.execute(f"DELETE FROM {FILLED} WHERE order_id IN ({orders})")
        cursor.execute(f"INSERT INTO {FILLED} ({FILLED_COLUMNS}) {_filled_lines(orders)}")
    cursor.execute(f"DELETE FROM {LINE_OUT} WHERE order_id IN ({orders})")
    cursor.execute(f"DELETE FROM {ORDER_OUT} WHERE order_id IN ({orders})")
    cursor.execute(f"INSERT INTO {LINE_OUT} ({LINE_COLUMNS}) {_line_outcomes(orders)}")
    cursor.execute(f"INSERT INTO {ORDER_OUT} ({ORDER_COLUMNS}) "
                   + _orders_from(f"(SELECT * FROM {LINE_OUT} WHERE order_id IN ({orders})) x"))


def refresh() -> int:
    """Recompute the outcomes of the marked orders and clear their marks;
    the number of orders recomputed. Cheap when nothing is marked."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT 1 FROM {MARK} LIMIT 1")
        if cursor.fetchone() is None:
            return 0
    with transaction.atomic(), connection.cursor() as cursor:
        if set_based():
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])
            # (exists already when an outer transaction refreshed before)
            cursor.execute(f"CREATE TEMP TABLE IF NOT EXISTS {CLAIMED} "
                           "(order_id bigint PRIMARY KEY) ON COMMIT DROP")
            cursor.execute(f"DELETE FROM {CLAIMED}")
            cursor.execute(f"WITH c AS (DELETE FROM {MARK} RETURNING order_id) "
                           f"INSERT INTO {CLAIMED} SELECT DISTINCT order_id FROM c")
            n = cursor.rowcount
            if n > ANALYZE_FROM:  # statistics for a big batch (a fresh load); a few ids need none
                cursor.execute(f"ANALYZE {CLAIMED}")
        else:
            cursor.execute(f"CREATE TEMP TABLE IF NOT EXISTS {CLAIMED} "
                           "(order_id integer PRIMARY KEY)")
            cursor.execute(f"DELETE FROM {CLAIMED}")
            cursor.execute(f"INSERT INTO {CLAIMED} SELECT DISTINCT order_id FROM {MARK}")
            n = cursor.rowcount
            cursor.execute(f"DELETE FROM {MARK}")  # (SQLite: no other writer meanwhile)
        _recompute(cursor, f"SELECT order_id FROM {CLAIMED}")
        if not set_based():
            cursor.execute(f"DELETE FROM {CLAIMED}")
    return n


def fill(cursor, *, filled: bool = True) -> None:
    """Every order's outcome from scratch (the migrations' fill; the first
    ran before `FilledLine` existed)."""
    cursor.execute(f"DELETE FROM {MARK}")
    _recompute(cursor, "SELECT id FROM orders_salesorder", filled=filled)


def fresh_order_outcomes() -> list[tuple]:
    """Every order's outcome computed now from the rows, stored or not:
    (order_id, (lines, units, first_units, complete, backordered, counted,
    cancelled))."""
    with connection.cursor() as cursor:
        cursor.execute(_orders_from(f"({_line_outcomes('SELECT id FROM orders_salesorder')}) x"))
        return [(r[0], (r[3], r[4], r[5], r[7], r[8], r[9], r[10])) for r in cursor.fetchall()]


def outcome_problems() -> list[str]:
    """Where a stored outcome differs from one computed afresh: refresh the
    marked orders, then compare every order with the definition."""
    refresh()
    problems = []
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {LINE_COLUMNS} FROM {LINE_OUT}")
        kept = {r[0]: r[1:] for r in cursor.fetchall()}
        cursor.execute(_line_outcomes("SELECT id FROM orders_salesorder"))
        fresh = {r[0]: r[1:] for r in cursor.fetchall()}
        for line_id in sorted(set(kept) | set(fresh)):
            if _norm(kept.get(line_id)) != _norm(fresh.get(line_id)):
                problems.append(f"order line {line_id}: outcome {kept.get(line_id)} != "
                                f"{fresh.get(line_id)}")
        cursor.execute(f"SELECT {FILLED_COLUMNS} FROM {FILLED}")
        kept_f = {r[0]: _norm(r[1:]) for r in cursor.fetchall()}
        cursor.execute(_filled_lines("SELECT id FROM orders_salesorder"))
        fresh_f = {r[0]: _norm(r[1:]) for r in cursor.fetchall()}
        problems += [f"backorder line {i}: filled {kept_f.get(i)} != {fresh_f.get(i)}"
                     for i in sorted(set(kept_f) | set(fresh_f)) if kept_f.get(i) != fresh_f.get(i)]
        cursor.execute(f"SELECT {ORDER_COLUMNS} FROM {ORDER_OUT}")
        kept_o = {r[0]: r[1:] for r in cursor.fetchall()}
        cursor.execute(_orders_from(f"({_line_outcomes('SELECT id FROM orders_salesorder')}) x"))
        fresh_o = {r[0]: r[1:] for r in cursor.fetchall()}
        for order_id in sorted(set(kept_o) | set(fresh_o)):
            if _norm(kept_o.get(order_id)) != _norm(fresh_o.get(order_id)):
                problems.append(f"order {order_id}: outcome {kept_o.get(order_id)} != "
                                f"{fresh_o.get(order_id)}")
    return problems


def _norm(row):
    """Counts as integers (PostgreSQL sums them as numeric), times as text
    (SQLite returns what it stored)."""
    if row is None:
        return None
    return tuple(int(x) if isinstance(x, int | Decimal) else str(as_aware_time(x)) for x in row)

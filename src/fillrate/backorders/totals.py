"""Backlog totals, kept by the database in the statement that changes a
backorder line.

Every report over what is owed used to read every open line and join it to
its backorder: about a second per report at a million lines. So the lines'
totals are kept where the reports read them:

- on each backorder: `open_units`, `waiting_units`, `open_value`;
- per product (`ProductBacklog`): open lines, open and waiting units,
  value, customers waiting (from `CustomerProductBacklog`, open lines per
  product and customer) and the oldest active backorder's creation.

Backorder lines change in many statements of this app (opening, feeding
set-based or portably, fulfilment, cancelling, lost stock), so the totals
are kept by triggers this app's migration installs on its own line table:
no write path can forget them, and they change in the same statement and
transaction as the lines. On PostgreSQL one statement-level trigger per
INSERT/UPDATE/DELETE folds all of a statement's changed rows at once (its
transition tables), so a receipt feeding 25,000 lines adds a few set-based
statements, not 25,000 row triggers; SQLite uses row triggers. A row
trigger on the backorder keeps `oldest` true if a backorder's creation time
is ever changed. `totals_problems` (part of the invariant check after every
order and backorder test) compares them with a fresh count.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import connection

from fillrate.core.sql import as_aware_time

BACKORDER = "backorders_backorder"
LINE = "backorders_backorderline"
PRODUCT = "backorders_productbacklog"
PAIR = "backorders_customerproductbacklog"
DAY = "backorders_productdaybacklog"

OPEN = "({r}.quantity - {r}.fulfilled - {r}.cancelled)"
WAITING = "({r}.quantity - {r}.allocated - {r}.fulfilled - {r}.cancelled)"


def _terms(r: str) -> dict[str, str]:
    o = OPEN.format(r=r)
    return {"o": o, "w": WAITING.format(r=r), "v": f"({o} * {r}.unit_price)",
            "l": f"(CASE WHEN {o} > 0 THEN 1 ELSE 0 END)"}


# --- PostgreSQL: statement-level triggers over transition tables ----------

def _pg_rows(op: str) -> str:
    parts = []
    for table, sign in (("new_rows", 1), ("old_rows", -1)):
        if (table == "new_rows" and op == "DELETE") or (table == "old_rows" and op == "INSERT"):
            continue
        t = _terms("x")
        parts.append(f"SELECT x.id, x.backorder_id, x.product_id, {sign} * {t['o']} AS o, "
                     f"{sign} * {t['w']} AS w, {sign} * {t['v']} AS v, {sign} * {t['l']} AS l "
                     f"FROM {table} x")
    return " UNION ALL ".join(parts)


def _pg_reread_oldest(rows: str) -> str:
    """A line that closed may have been its product's oldest: read those
    products' oldest again (no inserted line closes)."""
    return f"""
  UPDATE {PRODUCT} t SET oldest = (
      SELECT MIN(b.created_at) FROM {LINE} bl JOIN {BACKORDER} b ON b.id = bl.backorder_id
      WHERE bl.product_id = t.product_id AND {OPEN.format(r='bl')} > 0)
  WHERE t.product_id IN (SELECT product_id FROM ({rows}) r
                         GROUP BY id, product_id HAVING SUM(l) < 0);"""


def pg_day(column: str) -> str:
    """The UTC day of a timestamp column, as `ProductDayBacklog.day` keeps it."""
    return f"({column} AT TIME ZONE 'UTC')::date"


def sqlite_day(column: str) -> str:
    return f"date({column})"


_DAY_ADD = ("open_lines = t.open_lines + EXCLUDED.open_lines, "
            "open_units = t.open_units + EXCLUDED.open_units, "
            "open_value = t.open_value + EXCLUDED.open_value")


def _pg_days(rows: str, op: str) -> str:
    """Per (product, day of the backorder's creation): the lines' deltas; a
    day's row goes when its last open line closes."""
    drop = "" if op == "INSERT" else f"""
  DELETE FROM {DAY} t WHERE t.open_lines = 0
    AND t.product_id IN (SELECT DISTINCT product_id FROM ({rows}) r);"""
    deltas = f"""SELECT r.product_id, {pg_day('b.created_at')} AS day, SUM(r.l) AS l,
         SUM(r.o) AS o, SUM(r.v) AS v
  FROM ({rows}) r JOIN {BACKORDER} b ON b.id = r.backorder_id
  GROUP BY 1, 2 HAVING SUM(r.l) <> 0 OR SUM(r.o) <> 0 OR SUM(r.v) <> 0"""
    if op == "DELETE":  # only lowers rows that are there
        return f"""
  UPDATE {DAY} t SET open_lines = t.open_lines + d.l, open_units = t.open_units + d.o,
         open_value = t.open_value + d.v
  FROM ({deltas}) d WHERE t.product_id = d.product_id AND t.day = d.day;{drop}"""
    return f"""
  INSERT INTO {DAY} AS t (product_id, day, open_lines, open_units, open_value)
  {deltas}
  ORDER BY 1, 2
  ON CONFLICT (product_id, day) DO UPDATE SET {_DAY_ADD};{drop}"""


def _pg_function(op: str, by_day: bool) -> str:
    rows = _pg_rows(op)
    return f"""
CREATE OR REPLACE FUNCTION backorders_line_totals_{op.lower()}() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  UPDATE {BACKORDER} b SET open_units = b.open_units + d.o,
         waiting_units = b.waiting_units + d.w, open_value = b.open_value + d.v
  FROM (SELECT backorder_id, SUM(o) AS o, SUM(w) AS w, SUM(v) AS v FROM ({rows}) r
        GROUP BY backorder_id) d
  WHERE b.id = d.backorder_id AND (d.o <> 0 OR d.w <> 0 OR d.v <> 0);

  WITH r AS ({rows}),
  pc AS (SELECT r.product_id, b.customer_id, SUM(r.l) AS n
         FROM r JOIN {BACKORDER} b ON b.id = r.backorder_id
         GROUP BY 1, 2 HAVING SUM(r.l) <> 0),
  -- the count after this change, as the upsert leaves it: it waits for a
  -- concurrent change of the same pair and adds to what that committed,
  -- where a count read before it would miss that change
  pairs AS (INSERT INTO {PAIR} (product_id, customer_id, open_lines)
            SELECT product_id, customer_id, n FROM pc ORDER BY 1, 2
            ON CONFLICT (product_id, customer_id)
            DO UPDATE SET open_lines = {PAIR}.open_lines + EXCLUDED.open_lines
            RETURNING product_id, customer_id, open_lines AS after),
  cust AS (SELECT pairs.product_id,
                  SUM(CASE WHEN pairs.after - pc.n = 0 AND pairs.after > 0 THEN 1
                           WHEN pairs.after - pc.n > 0 AND pairs.after = 0 THEN -1
                           ELSE 0 END) AS c
           FROM pairs JOIN pc ON pc.product_id = pairs.product_id
                             AND pc.customer_id = pairs.customer_id
           GROUP BY 1),
  p AS (SELECT r.product_id, SUM(r.l) AS l, SUM(r.o) AS o, SUM(r.w) AS w, SUM(r.v) AS v,
               -- a line opened can only move the oldest back
               MIN(CASE WHEN r.l > 0 THEN b.created_at END) AS opened
        FROM r JOIN {BACKORDER} b ON b.id = r.backorder_id GROUP BY 1)
  INSERT INTO {PRODUCT} AS t (product_id, open_lines, open_units, waiting_units, open_value,
                              customers, oldest)
  SELECT p.product_id, p.l, p.o, p.w, p.v, COALESCE(cust.c, 0), p.opened
  FROM p LEFT JOIN cust ON cust.product_id = p.product_id
  WHERE p.l <> 0 OR p.o <> 0 OR p.w <> 0 OR p.v <> 0 OR COALESCE(cust.c, 0) <> 0
  ORDER BY p.product_id
  ON CONFLICT (product_id) DO UPDATE SET
    open_lines = t.open_lines + EXCLUDED.open_lines,
    open_units = t.open_units + EXCLUDED.open_units,
    waiting_units = t.waiting_units + EXCLUDED.waiting_units,
    open_value = t.open_value + EXCLUDED.open_value,
    customers = t.customers + EXCLUDED.customers,
    oldest = LEAST(t.oldest, EXCLUDED.oldest);

{_pg_days(rows, op) if by_day else ""}
{"" if op == "INSERT" else _pg_reread_oldest(rows)}
  RETURN NULL;
END $$;
"""


def _pg_install(by_day: bool) -> list[str]:
    moved = (f"{pg_day('OLD.created_at')} <> {pg_day('NEW.created_at')}" if by_day
             else "false")
    out = []
    for op in ("INSERT", "UPDATE", "DELETE"):
        refs = {"INSERT": "NEW TABLE AS new_rows", "DELETE": "OLD TABLE AS old_rows",
                "UPDATE": "OLD TABLE AS old_rows NEW TABLE AS new_rows"}[op]
        name = f"backorders_line_totals_{op.lower()}"
        out += [_pg_function(op, by_day), f"DROP TRIGGER IF EXISTS {name} ON {LINE}",
                f"CREATE TRIGGER {name} AFTER {op} ON {LINE} REFERENCING {refs} "
                f"FOR EACH STATEMENT EXECUTE FUNCTION {name}()"]
    out += [f"""
CREATE OR REPLACE FUNCTION backorders_created_moved() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE {PRODUCT} t SET oldest = (
      SELECT MIN(b.created_at) FROM {LINE} bl JOIN {BACKORDER} b ON b.id = bl.backorder_id
      WHERE bl.product_id = t.product_id AND {OPEN.format(r='bl')} > 0)
  WHERE t.product_id IN (SELECT product_id FROM {LINE} WHERE backorder_id = NEW.id);
  IF {moved} THEN
    INSERT INTO {DAY} AS t (product_id, day, open_lines, open_units, open_value)
    SELECT bl.product_id, d.day, d.sign * COUNT(*), d.sign * SUM({OPEN.format(r='bl')}),
           d.sign * SUM({OPEN.format(r='bl')} * bl.unit_price)
    FROM {LINE} bl CROSS JOIN (VALUES ({pg_day('OLD.created_at')}, -1),
                                      ({pg_day('NEW.created_at')}, 1)) d(day, sign)
    WHERE bl.backorder_id = NEW.id AND {OPEN.format(r='bl')} > 0
    GROUP BY bl.product_id, d.day, d.sign ORDER BY 1, 2
    ON CONFLICT (product_id, day) DO UPDATE SET {_DAY_ADD};
    DELETE FROM {DAY} t WHERE t.open_lines = 0
      AND t.product_id IN (SELECT product_id FROM {LINE} WHERE backorder_id = NEW.id);
  END IF;
  RETURN NULL;
END $$;""", f"DROP TRIGGER IF EXISTS backorders_created_moved ON {BACKORDER}",
            f"CREATE TRIGGER backorders_created_moved AFTER UPDATE OF created_at ON {BACKORDER} "
            "FOR EACH ROW WHEN (OLD.created_at IS DISTINCT FROM NEW.created_at) "
            "EXECUTE FUNCTION backorders_created_moved()"]
    return out


# --- SQLite: row triggers ---------------------------------------------------

def _sqlite_trigger(op: str, by_day: bool) -> list[str]:
    """One row's change as deltas (new minus old)."""
    new, old = _terms("NEW"), _terms("OLD")

    def delta(k: str) -> str:
        if op == "INSERT":
            return new[k]
        if op == "DELETE":
            return f"(-{old[k]})"
        return f"({new[k]} - {old[k]})"

    row = "OLD" if op == "DELETE" else "NEW"
    customer = f"(SELECT customer_id FROM {BACKORDER} WHERE id = {row}.backorder_id)"
    created = f"(SELECT created_at FROM {BACKORDER} WHERE id = {row}.backorder_id)"
    pair = f"product_id = {row}.product_id AND customer_id = {customer}"
    before = f"COALESCE((SELECT open_lines FROM {PAIR} WHERE {pair}), 0)"
    dl = delta("l")
    ensure = [] if op == "DELETE" else [
        f"INSERT INTO {PAIR} (product_id, customer_id, open_lines) "
        f"SELECT {row}.product_id, {customer}, 0 WHERE true ON CONFLICT DO NOTHING;",
        f"INSERT INTO {PRODUCT} (product_id, open_lines, open_units, waiting_units, open_value, "
        f"customers, oldest) VALUES ({row}.product_id, 0, 0, 0, 0, 0, NULL) "
        "ON CONFLICT DO NOTHING;"]
    body = [
        f"UPDATE {BACKORDER} SET open_units = open_units + {delta('o')}, "
        f"waiting_units = waiting_units + {delta('w')}, "
        f"open_value = ROUND(open_value + {delta('v')}, 2) WHERE id = {row}.backorder_id;",
        *ensure,
        f"UPDATE {PRODUCT} SET "
        f"customers = customers + CASE WHEN {before} = 0 AND {before} + {dl} > 0 THEN 1 "
        f"WHEN {before} > 0 AND {before} + {dl} = 0 THEN -1 ELSE 0 END, "
        f"open_lines = open_lines + {dl}, open_units = open_units + {delta('o')}, "
        f"waiting_units = waiting_units + {delta('w')}, "
        f"open_value = ROUND(open_value + {delta('v')}, 2) "
        f"WHERE product_id = {row}.product_id;",
        f"UPDATE {PAIR} SET open_lines = open_lines + {dl} WHERE {pair};",
        # opened: the oldest can only move back; closed: read it again
        f"UPDATE {PRODUCT} SET oldest = CASE WHEN {dl} > 0 AND (oldest IS NULL OR "
        f"{created} < oldest) THEN {created} WHEN {dl} < 0 THEN ("
        f"SELECT MIN(b.created_at) FROM {LINE} bl JOIN {BACKORDER} b ON b.id = bl.backorder_id "
        f"WHERE bl.product_id = {row}.product_id AND {OPEN.format(r='bl')} > 0) ELSE oldest END "
        f"WHERE product_id = {row}.product_id;",
    ]
    day = f"date({created})"
    at_day = f"product_id = {row}.product_id AND day = {day}"
    # (a deleted line only lowers a row that is there: a table emptied
    # before its lines, as a test flush does, gets no row below zero)
    body += [] if not by_day else [
        *([] if op == "DELETE" else [
            f"INSERT INTO {DAY} (product_id, day, open_lines, open_units, open_value) "
            f"SELECT {row}.product_id, {day}, 0, 0, 0 WHERE {dl} <> 0 OR {delta('o')} <> 0 "
            "ON CONFLICT DO NOTHING;"]),
        f"UPDATE {DAY} SET open_lines = open_lines + {dl}, "
        f"open_units = open_units + {delta('o')}, "
        f"open_value = ROUND(open_value + {delta('v')}, 2) WHERE {at_day};",
        f"DELETE FROM {DAY} WHERE {at_day} AND open_lines = 0;",
    ]
    name = f"backorders_line_totals_{op.lower()}"
    return [f"DROP TRIGGER IF EXISTS {name}",
            f"CREATE TRIGGER {name} AFTER {op} ON {LINE} FOR EACH ROW BEGIN "
            + " ".join(body) + " END"]


def _sqlite_install(by_day: bool) -> list[str]:
    out = []
    for op in ("INSERT", "UPDATE", "DELETE"):
        out += _sqlite_trigger(op, by_day)
    out += ["DROP TRIGGER IF EXISTS backorders_created_moved",
            f"CREATE TRIGGER backorders_created_moved AFTER UPDATE OF created_at ON {BACKORDER} "
            "FOR EACH ROW WHEN OLD.created_at IS NOT NEW.created_at BEGIN "
            f"UPDATE {PRODUCT} SET oldest = (SELECT MIN(b.created_at) FROM {LINE} bl "
            f"JOIN {BACKORDER} b ON b.id = bl.backorder_id WHERE bl.product_id = "
            f"{PRODUCT}.product_id AND {OPEN.format(r='bl')} > 0) "
            f"WHERE product_id IN (SELECT product_id FROM {LINE} WHERE backorder_id = NEW.id); "
            + (_sqlite_day_moves() if by_day else "") + "END"]
    return out


def _sqlite_day_moves() -> str:
    """A backorder's open lines move from the day it was created on to the new one."""
    o = OPEN.format(r="bl")
    out = []
    for day, sign in (("date(OLD.created_at)", -1), ("date(NEW.created_at)", 1)):
        out += [
            f"INSERT INTO {DAY} (product_id, day, open_lines, open_units, open_value) "
            f"SELECT bl.product_id, {day}, 0, 0, 0 FROM {LINE} bl "
            f"WHERE bl.backorder_id = NEW.id AND {o} > 0 "
            f"AND date(OLD.created_at) <> date(NEW.created_at) ON CONFLICT DO NOTHING;",
            f"UPDATE {DAY} SET "
            f"open_lines = open_lines + {sign} * (SELECT COUNT(*) FROM {LINE} bl "
            f"WHERE bl.backorder_id = NEW.id AND bl.product_id = {DAY}.product_id AND {o} > 0), "
            f"open_units = open_units + {sign} * (SELECT COALESCE(SUM({o}), 0) FROM {LINE} bl "
            f"WHERE bl.backorder_id = NEW.id AND bl.product_id = {DAY}.product_id AND {o} > 0), "
            f"open_value = ROUND(open_value + {sign} * ("
            f"SELECT COALESCE(SUM({o} * bl.unit_price), 0) FROM {LINE} bl "
            f"WHERE bl.backorder_id = NEW.id AND bl.product_id = {DAY}.product_id "
            f"AND {o} > 0), 2) "
            f"WHERE day = {day} AND date(OLD.created_at) <> date(NEW.created_at) "
            f"AND product_id IN (SELECT product_id FROM {LINE} WHERE backorder_id = NEW.id);",
        ]
    out.append(f"DELETE FROM {DAY} WHERE open_lines = 0 AND product_id IN "
               f"(SELECT product_id FROM {LINE} WHERE backorder_id = NEW.id);")
    return " ".join(out) + " "


def install_statements(vendor: str, *, by_day: bool = True) -> list[str]:
    """The triggers; `by_day=False` is migration 0008's set, from before the
    per-day rows (a trigger may not name a table that is not there yet)."""
    return _pg_install(by_day) if vendor == "postgresql" else _sqlite_install(by_day)


def drop_statements(vendor: str) -> list[str]:
    if vendor == "postgresql":
        return ([f"DROP TRIGGER IF EXISTS backorders_line_totals_{op} ON {LINE}"
                 for op in ("insert", "update", "delete")]
                + [f"DROP TRIGGER IF EXISTS backorders_created_moved ON {BACKORDER}"])
    return ([f"DROP TRIGGER IF EXISTS backorders_line_totals_{op}"
             for op in ("insert", "update", "delete")]
            + ["DROP TRIGGER IF EXISTS backorders_created_moved"])


def _fresh_sql() -> dict[str, str]:
    """Recount every total from the lines (the check, and the migration's fill)."""
    o, w = OPEN.format(r="bl"), WAITING.format(r="bl")
    day = pg_day if connection.vendor == "postgresql" else sqlite_day
    return {
        "backorder": f"""SELECT b.id, COALESCE(SUM({o}), 0), COALESCE(SUM({w}), 0),
                  COALESCE(SUM({o} * bl.unit_price), 0)
            FROM {BACKORDER} b LEFT JOIN {LINE} bl ON bl.backorder_id = b.id GROUP BY b.id""",
        "product": f"""SELECT bl.product_id, SUM(CASE WHEN {o} > 0 THEN 1 ELSE 0 END),
                  SUM({o}), SUM({w}), SUM({o} * bl.unit_price),
                  COUNT(DISTINCT CASE WHEN {o} > 0 THEN b.customer_id END),
                  MIN(CASE WHEN {o} > 0 THEN b.created_at END)
            FROM {LINE} bl JOIN {BACKORDER} b ON b.id = bl.backorder_id
            GROUP BY bl.product_id""",
        "pair": f"""SELECT bl.product_id, b.customer_id, SUM(CASE WHEN {o} > 0 THEN 1 ELSE 0 END)
            FROM {LINE} bl JOIN {BACKORDER} b ON b.id = bl.backorder_id GROUP BY 1, 2""",
        "day": f"""SELECT bl.product_id, {day('b.created_at')}, COUNT(*), SUM({o}),
                  SUM({o} * bl.unit_price)
            FROM {LINE} bl JOIN {BACKORDER} b ON b.id = bl.backorder_id
            WHERE {o} > 0 GROUP BY 1, 2""",
    }


def fill(cursor) -> None:
    """Set every total from the lines (for a database that had lines before
    the triggers)."""
    sql = _fresh_sql()
    cursor.execute(f"DELETE FROM {PRODUCT}")
    cursor.execute(f"DELETE FROM {PAIR}")
    cursor.execute(f"INSERT INTO {PAIR} (product_id, customer_id, open_lines) {sql['pair']}")
    cursor.execute(f"INSERT INTO {PRODUCT} (product_id, open_lines, open_units, waiting_units, "
                   f"open_value, customers, oldest) {sql['product']}")
    cursor.execute(f"""UPDATE {BACKORDER} SET
        open_units = COALESCE((SELECT SUM({OPEN.format(r='bl')}) FROM {LINE} bl
                               WHERE bl.backorder_id = {BACKORDER}.id), 0),
        waiting_units = COALESCE((SELECT SUM({WAITING.format(r='bl')}) FROM {LINE} bl
                                  WHERE bl.backorder_id = {BACKORDER}.id), 0),
        open_value = COALESCE((SELECT SUM({OPEN.format(r='bl')} * bl.unit_price)
                                FROM {LINE} bl WHERE bl.backorder_id = {BACKORDER}.id), 0)""")


def fill_days(cursor) -> None:
    """Set the per-day rows from the lines (migration 0010 added them)."""
    cursor.execute(f"DELETE FROM {DAY}")
    cursor.execute(f"INSERT INTO {DAY} (product_id, day, open_lines, open_units, open_value) "
                   f"{_fresh_sql()['day']}")


def _money(x) -> Decimal:
    return Decimal(str(x or 0)).quantize(Decimal("0.01"))


def totals_problems() -> list[str]:
    """Where a kept total differs from a fresh count of the lines."""

    sql = _fresh_sql()
    problems = []
    with connection.cursor() as c:
        c.execute(f"SELECT id, open_units, waiting_units, open_value FROM {BACKORDER}")
        kept = {r[0]: (r[1], r[2], _money(r[3])) for r in c.fetchall()}
        c.execute(sql["backorder"])
        for bid, o, w, v in c.fetchall():
            if kept.get(bid) != (o, w, _money(v)):
                problems.append(f"backorder {bid}: totals {kept.get(bid)} != {(o, w, _money(v))}")
        c.execute(f"SELECT product_id, open_lines, open_units, waiting_units, open_value, "
                  f"customers, oldest FROM {PRODUCT}")
        kept_p = {r[0]: r[1:] for r in c.fetchall()}
        c.execute(sql["product"])
        fresh_p = {r[0]: r[1:] for r in c.fetchall()}

        def norm(row):
            if row is None:
                return (0, 0, 0, Decimal("0.00"), 0, None)
            lines, o, w, v, cust, oldest = row
            oldest = as_aware_time(oldest)
            return (lines, o, w, _money(v), cust, oldest if lines else None)

        for pid in set(kept_p) | set(fresh_p):
            if norm(kept_p.get(pid)) != norm(fresh_p.get(pid)):
                problems.append(f"product {pid}: backlog {norm(kept_p.get(pid))} != "
                                f"{norm(fresh_p.get(pid))}")
        c.execute(f"SELECT product_id, customer_id, open_lines FROM {PAIR}")
        kept_pc = {(r[0], r[1]): r[2] for r in c.fetchall() if r[2]}
        c.execute(sql["pair"])
        fresh_pc = {(r[0], r[1]): r[2] for r in c.fetchall() if r[2]}
        if kept_pc != fresh_pc:
            problems.append(f"customer-product open lines differ: {kept_pc} != {fresh_pc}")
        c.execute(f"SELECT product_id, day, open_lines, open_units, open_value FROM {DAY}")
        kept_d = {(r[0], str(r[1])): (r[2], r[3], _money(r[4])) for r in c.fetchall()}
        c.execute(sql["day"])
        fresh_d = {(r[0], str(r[1])): (r[2], r[3], _money(r[4])) for r in c.fetchall()}
        if kept_d != fresh_d:
            problems.append(f"product-day backlog differs: {kept_d} != {fresh_d}")
    return problems

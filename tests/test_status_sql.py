"""The SQL twins of the pure status derivations give the same answers."""

from __future__ import annotations

import itertools

import pytest
from django.db import connection

from fillrate.backorders.lifecycle import LineQuantities, derive_status, derive_status_sql
from fillrate.orders.status import LineQuantities as OrderQuantities
from fillrate.orders.status import derive_order_status, derive_order_status_sql


def evaluate(expression: str, rows: list[tuple], columns: str) -> list[str]:
    names = [c.strip() for c in columns.split(",")]
    select = "SELECT %s AS n, " + ", ".join(f"%s AS {c}" for c in names)
    union = " UNION ALL ".join([select] * len(rows))
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {expression} FROM ({union}) v ORDER BY n",
                       [x for i, row in enumerate(rows) for x in (i, *row)])
        return [r[0] for r in cursor.fetchall()]


@pytest.mark.django_db
def test_backorder_status_in_sql_matches_derive_status():
    rows = [(q, a, f, c) for q in range(0, 4) for a, f, c in itertools.product(range(4), repeat=3)
            if q > 0 and a + f + c <= q]
    got = evaluate(derive_status_sql(quantity="q", allocated="a", fulfilled="f", cancelled="c"),
                   rows, "q, a, f, c")
    assert got == [derive_status([LineQuantities(*r)]) for r in rows]
    assert {"open", "ready", "partially_fulfilled", "complete", "cancelled"} <= set(got)


@pytest.mark.django_db
def test_order_status_in_sql_matches_derive_order_status():
    statuses = ["open", "awaiting_backorder", "on_hold", "cancelled", "partially_fulfilled"]
    rows = [(st, q, s, b, c) for st in statuses for q in range(1, 4)
            for s, b, c in itertools.product(range(4), repeat=3) if s + b + c <= q]
    got = evaluate(derive_order_status_sql(status="st", quantity="q", shipped="s",
                                           backordered="b", cancelled="c"),
                   rows, "st, q, s, b, c")
    want = [derive_order_status([OrderQuantities(q, shipped=s, backordered=b, cancelled=c)],
                                on_hold=st == "on_hold", cancelled=st == "cancelled")
            for st, q, s, b, c in rows]
    assert got == want
    assert {"open", "fulfilled", "awaiting_backorder", "partially_fulfilled", "on_hold",
            "cancelled"} <= set(got)

"""The SQL twin of the pure backorder status derivation gives the same answers."""

from __future__ import annotations

import itertools

import pytest
from django.db import connection

from fillrate.backorders.lifecycle import LineQuantities, derive_status, derive_status_sql


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

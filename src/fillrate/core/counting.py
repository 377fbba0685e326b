"""Counts for list pages that stay cheap on large tables.

An exact `COUNT(*)` of a filtered list reads every matching row; at a
million rows that is most of a page's time. So a list's count is exact
while its table is small (below `LARGE_TABLE` rows by PostgreSQL's own
statistics) or while the filter matches at most `CAP` rows (counted with a
LIMIT, so no more than CAP + 1 rows are read); past that it is the
planner's estimate, flagged as one. SQLite keeps no such statistics and
its tables are small: it always counts exactly, as does any small table on
PostgreSQL, so the two give the same numbers wherever both are tested.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from django.db import connection, models
from django.db.models import QuerySet

from fillrate.core.sql import set_based

LARGE_TABLE = 50_000
CAP = 1_000


@dataclass(frozen=True)
class Counted:
    n: int
    exact: bool = True

    def __int__(self) -> int:
        return self.n

    def __str__(self) -> str:
        return f"{self.n:,}" if self.exact else f"about {self.n:,}"


def table_is_large(model: type[models.Model]) -> bool:
    """PostgreSQL's estimate of the table's rows (`pg_class.reltuples`,
    kept by ANALYZE and autovacuum) is at least LARGE_TABLE."""
    if not set_based():
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE oid = %s::regclass",
                       [model._meta.db_table])
        row = cursor.fetchone()
    return bool(row) and row[0] >= LARGE_TABLE


def estimated_rows(qs: QuerySet) -> int:
    """The planner's estimate of the rows `qs` returns (PostgreSQL only)."""
    sql, params = qs.order_by().values("pk").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        plan = cursor.fetchone()[0]
    if isinstance(plan, str):
        plan = json.loads(plan)
    return int(plan[0]["Plan"]["Plan Rows"])


def count_rows(qs: QuerySet, *, cap: int = CAP) -> Counted:
    """Exact on a small table or up to `cap` rows; else the estimate (never
    below cap + 1 when the rows were counted that far)."""
    if not table_is_large(qs.model):
        return Counted(qs.order_by().count())
    estimate = estimated_rows(qs)
    if estimate > cap * 10:
        # Clearly past the cap: counting even cap + 1 rows could read far
        # more than that when matches are sparse.
        return Counted(estimate, exact=False)
    n = qs.order_by().values("pk")[: cap + 1].count()
    if n <= cap:
        return Counted(n)
    return Counted(max(estimate, cap + 1), exact=False)


def estimated_counts(qs: QuerySet, field: str, values: list[str]) -> dict[str, Counted]:
    """Rows of `qs` per value of `field`: exact (one grouped count) on a
    small table; on a large one the planner's estimate of each value, from
    the column's statistics, without reading the table (a value's tab shows
    "about N")."""
    if not table_is_large(qs.model):
        counts = dict(qs.order_by().values_list(field).annotate(n=models.Count("pk")))
        return {v: Counted(counts.get(v, 0)) for v in values}
    return {v: Counted(estimated_rows(qs.filter(**{field: v})), exact=False) for v in values}

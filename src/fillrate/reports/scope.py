"""What a report counts: the optional customer or sales-rep scope, the
`by` breakdowns, and the SQL pieces every report shares. Plain statements
that read the same on SQLite and PostgreSQL (CTEs, CASE, GROUP BY); the one
place a dialect differs is `whole_days_sql`."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.db import connection, transaction

from fillrate.backorders import lifecycle
from fillrate.backorders.models import Backorder, BackorderLine
from fillrate.catalog.models import Product
from fillrate.core.errors import InvalidValue, NotFound
from fillrate.core.sql import fetch, in_list, set_based, table
from fillrate.customers.models import Customer, SalesRep

BREAKDOWNS = ("customer", "product", "sales_rep")
ACTIVE_SQL = ", ".join(f"'{s}'" for s in sorted(lifecycle.ACTIVE))
OPEN_UNITS = "(bl.quantity - bl.fulfilled - bl.cancelled)"
WAITING_UNITS = "(bl.quantity - bl.allocated - bl.fulfilled - bl.cancelled)"


@dataclass(frozen=True)
class Scope:
    """Restrict a report to one customer's or one sales rep's customers."""

    customer_id: int | None = None
    sales_rep_id: int | None = None
    customer: str | None = None
    sales_rep: str | None = None

    def where(self, customer_col: str) -> tuple[str, list]:
        """` AND ...` on the customer id column `customer_col`."""
        if self.customer_id is not None:
            return f" AND {customer_col} = %s", [self.customer_id]
        if self.sales_rep_id is not None:
            return (f" AND {customer_col} IN (SELECT id FROM {table(Customer)} "
                    "WHERE sales_rep_id = %s)", [self.sales_rep_id])
        return "", []


EVERYTHING = Scope()


def scope_for(*, customer: str | None = None, sales_rep: str | None = None) -> Scope:
    """Unknown codes are 404 naming the parameter."""
    if customer:
        row = Customer.objects.filter(code=customer).values_list("id", flat=True).first()
        if row is None:
            raise NotFound("customers.unknown_customer", f"no customer {customer!r}",
                           field="customer")
        return Scope(customer_id=row, customer=customer)
    if sales_rep:
        row = SalesRep.objects.filter(code=sales_rep).values_list("id", flat=True).first()
        if row is None:
            raise NotFound("customers.unknown_sales_rep", f"no sales rep {sales_rep!r}",
                           field="sales_rep")
        return Scope(sales_rep_id=row, sales_rep=sales_rep)
    return Scope()


def check_breakdown(by: str | None) -> str | None:
    if by in (None, ""):
        return None
    if by not in BREAKDOWNS:
        raise InvalidValue("reports.invalid_breakdown", f"by is one of {', '.join(BREAKDOWNS)}",
                           field="by")
    return by


def key_sql(by: str | None, *, customer_col: str, product_col: str) -> tuple[str, str]:
    """(the group key expression, the join it needs) for a breakdown."""
    if by == "customer":
        return customer_col, ""
    if by == "product":
        return product_col, ""
    if by == "sales_rep":
        return "kc.sales_rep_id", f" JOIN {table(Customer)} kc ON kc.id = {customer_col}"
    return "0", ""


def labels(by: str | None, ids: set) -> dict:
    """{key: (code, name)} for the keys a breakdown returned, in one query
    (plain rows: a breakdown can name every customer)."""
    ids = sorted(i for i in ids if i is not None)
    if by is None or not ids:
        return {}
    model, code = {"product": (Product, "sku"), "customer": (Customer, "code"),
                   "sales_rep": (SalesRep, "code")}[by]
    if set_based():  # one array parameter: PostgreSQL plans 5,000 `%s` slowly
        rows = fetch(f"SELECT id, {code}, name FROM {table(model)} WHERE id = ANY(%s)", [ids])
    else:
        rows = []
        for at in range(0, len(ids), 10_000):  # within SQLite's bound on parameters
            chunk = ids[at:at + 10_000]
            rows += fetch(f"SELECT id, {code}, name FROM {table(model)} "
                          f"WHERE id IN ({in_list(chunk)})", chunk)
    return {i: (c, name) for i, c, name in rows}


def whole_days_sql(later: str, earlier: str) -> str:
    """Whole days from `earlier` to `later` (two timestamp columns), floored."""
    if set_based():
        return f"FLOOR(EXTRACT(EPOCH FROM ({later} - {earlier})) / 86400)"
    return f"CAST(julianday({later}) - julianday({earlier}) AS INTEGER)"


def open_lines_from(scope: Scope) -> tuple[str, list]:
    """FROM/WHERE of the units still owed on active backorders (`bl`, `b`)."""
    where, params = scope.where("b.customer_id")
    return (f"FROM {table(BackorderLine)} bl JOIN {table(Backorder)} b ON b.id = bl.backorder_id "
            f"WHERE b.status IN ({ACTIVE_SQL}) AND {OPEN_UNITS} > 0{where}", params)


@contextmanager
def reporting() -> Iterator[None]:
    """One read transaction for a report's statements. On PostgreSQL its
    aggregates get room to hash in memory instead of spilling to disk
    (`work_mem` 64 MB) and skip JIT compilation, which costs more than it
    saves on statements this short (both only for this transaction)."""
    with transaction.atomic():
        if set_based():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL work_mem = '64MB'")
                cursor.execute("SET LOCAL jit = off")
        yield

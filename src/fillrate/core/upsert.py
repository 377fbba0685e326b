"""Create-or-update many rows by a natural key (SKU, customer code, ...).

Two paths, chosen in `upsert` and nowhere else, tested against each other
(tests/imports/test_upsert.py):

- PostgreSQL: one `INSERT ... ON CONFLICT (key) DO UPDATE ... WHERE changed
  RETURNING (xmax = 0)` per call: new rows are inserted, changed rows
  updated, unchanged rows left alone (no dead tuple), and the returned flags
  count what was created and what was updated.
- Portable (SQLite, or any database): read the rows with these keys, compare
  in Python, `bulk_create` the new ones and `bulk_update` the changed ones.

Both expect the caller to hold the write lock or to accept that a concurrent
writer of the same key wins by key (the imports run in one transaction; on
SQLite that transaction is IMMEDIATE).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import connection, models
from django.utils import timezone

from fillrate.core import sql

# Values psycopg adapts as they are.
_NATIVE = (str, int, bool, Decimal, dt.datetime, dt.date)


@dataclass(frozen=True)
class Upserted:
    created: int
    updated: int


def set_based() -> bool:
    """Which path the upsert takes (`fillrate.core.sql.set_based`)."""
    return sql.set_based()


def upsert(model: type[models.Model], *, keys: Sequence[str], fields: Sequence[str],
           rows: Sequence[dict[str, Any]]) -> Upserted:
    """Each row maps every attname in `keys` and `fields` to a value. A row
    whose keys match an existing row updates `fields` where they differ;
    otherwise it is inserted (other fields get their model default, and
    `auto_now_add` ones the time).
    Keys must be unique within `rows`."""
    if not rows:
        return Upserted(0, 0)
    if set_based():
        return upsert_on_conflict(model, keys=keys, fields=fields, rows=rows)
    return upsert_portable(model, keys=keys, fields=fields, rows=rows)


def _native(field: models.Field, value: Any) -> Any:
    if value is None or type(value) in _NATIVE:
        return value
    return field.get_db_prep_save(value, connection)


def upsert_on_conflict(model: type[models.Model], *, keys: Sequence[str], fields: Sequence[str],
                       rows: Sequence[dict[str, Any]]) -> Upserted:
    qn = connection.ops.quote_name
    meta = model._meta
    given = {meta.get_field(name).attname for name in (*keys, *fields)}
    # Every column on insert: the given values, the rest as the model makes them.
    inserted = [f for f in meta.concrete_fields if not f.primary_key]
    now = timezone.now()
    fixed = {f.attname: now if getattr(f, "auto_now_add", False) else f.get_default()
             for f in inserted if f.attname not in given}
    columns = [qn(f.column) for f in inserted]
    tbl = qn(meta.db_table)
    # The rows go in with COPY (psycopg writes them in C) to a temporary
    # table, dropped at commit: a few statements whatever the number of rows.
    scratch = qn(f"upsert_{meta.db_table}")
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TEMP TABLE IF NOT EXISTS {scratch} ON COMMIT DROP AS "
                       f"SELECT {', '.join(columns)} FROM {tbl} WITH NO DATA")
        cursor.execute(f"TRUNCATE {scratch}")
        with cursor.cursor.copy(f"COPY {scratch} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row([
                    _native(f, row[f.attname] if f.attname in given else fixed[f.attname])
                    for f in inserted])
    updated = [qn(meta.get_field(name).column) for name in fields]
    sql = (
        f"INSERT INTO {tbl} AS t ({', '.join(columns)}) SELECT * FROM {scratch} "
        f"ON CONFLICT ({', '.join(qn(meta.get_field(k).column) for k in keys)}) DO UPDATE SET "
        + ", ".join(f"{c} = EXCLUDED.{c}" for c in updated)
        + f" WHERE ({', '.join(f't.{c}' for c in updated)}) IS DISTINCT FROM "
        f"({', '.join(f'EXCLUDED.{c}' for c in updated)}) RETURNING (xmax = 0)")
    with connection.cursor() as cursor:
        cursor.execute(sql)
        flags = [r[0] for r in cursor.fetchall()]
    created = sum(1 for f in flags if f)
    return Upserted(created, len(flags) - created)


def upsert_portable(model: type[models.Model], *, keys: Sequence[str], fields: Sequence[str],
                    rows: Sequence[dict[str, Any]]) -> Upserted:
    meta = model._meta
    key_attnames = [meta.get_field(k).attname for k in keys]
    field_attnames = [meta.get_field(f).attname for f in fields]
    by_key = {tuple(row[k] for k in key_attnames): row for row in rows}
    qs = model.objects.all()
    for k in key_attnames:
        qs = qs.filter(**{f"{k}__in": sorted({key[key_attnames.index(k)] for key in by_key})})
    existing = {tuple(getattr(obj, k) for k in key_attnames): obj
                for obj in qs.only("pk", *key_attnames, *field_attnames)}
    new, changed = [], []
    for key, row in by_key.items():
        obj = existing.get(key)
        if obj is None:
            new.append(model(**{k: row[k] for k in (*key_attnames, *field_attnames)}))
        elif any(getattr(obj, f) != row[f] for f in field_attnames):
            for f in field_attnames:
                setattr(obj, f, row[f])
            changed.append(obj)
    if new:
        model.objects.bulk_create(new, batch_size=500)
    if changed:
        model.objects.bulk_update(changed, field_attnames, batch_size=500)
    return Upserted(len(new), len(changed))

"""Set-based statements for the hot paths, without ORM object churn.

The ORM compiles every query anew and builds a model instance per row; on the
order-placement path that cost more CPU than the database did (DESIGN.md,
performance anchors). These helpers write many rows in one statement built
from the model's own field definitions (table, columns, each field's own
conversion to a database value), so they stay true to the models on SQLite
and PostgreSQL alike.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from typing import Any

from django.db import connection, models

from fillrate.core.numbers import format_number

_PLAIN = (int, str, bool)


@cache
def _insert_fields(model: type[models.Model]) -> tuple[models.Field, ...]:
    return tuple(f for f in model._meta.concrete_fields if not f.primary_key)


def insert_instances(objs: Sequence[models.Model]) -> None:
    """INSERT unsaved instances of one model in one statement and give each
    its primary key, as `bulk_create` does, without compiling a query.
    `auto_now_add` fields are filled as `save()` would."""
    if not objs:
        return
    model = type(objs[0])
    fields = _insert_fields(model)
    params: list[Any] = []
    for obj in objs:
        for f in fields:
            value = f.pre_save(obj, True)
            # Plain values go as they are; the rest through the field's conversion.
            params.append(value if value is None or type(value) in _PLAIN
                          else f.get_db_prep_save(value, connection))
    qn = connection.ops.quote_name
    one = "(" + ", ".join(["%s"] * len(fields)) + ")"
    sql = (f"INSERT INTO {qn(model._meta.db_table)} "
           f"({', '.join(qn(f.column) for f in fields)}) VALUES {', '.join([one] * len(objs))} "
           f"RETURNING {qn(model._meta.pk.column)}")
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        ids = [r[0] for r in cursor.fetchall()]
    for obj, pk in zip(objs, ids, strict=True):
        obj.pk = pk
        obj._state.adding = False
        obj._state.db = connection.alias


def add_to_column(model: type[models.Model], field: str | Sequence[str],
                  deltas: Mapping[int, int]) -> None:
    """`field += deltas[pk]` for each row (each of several fields, when
    `field` is a sequence of names), in one UPDATE."""
    deltas = {k: v for k, v in deltas.items() if v}
    if not deltas:
        return
    qn = connection.ops.quote_name
    names = [field] if isinstance(field, str) else list(field)
    pk = qn(model._meta.pk.column)
    cases = " ".join(["WHEN %s THEN %s"] * len(deltas))
    pairs: list[int] = [x for pair in deltas.items() for x in pair]
    sets = []
    params: list[int] = []
    for name in names:
        column = qn(model._meta.get_field(name).column)
        sets.append(f"{column} = {column} + CASE {pk} {cases} ELSE 0 END")
        params += pairs
    params += list(deltas)
    sql = (f"UPDATE {qn(model._meta.db_table)} SET {', '.join(sets)} "
           f"WHERE {pk} IN ({', '.join(['%s'] * len(deltas))})")
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def add_to_columns(model: type[models.Model], deltas: Mapping[str, Mapping[int, int]]) -> None:
    """`field += deltas[field][pk]` for each field and row, in one UPDATE
    (each row's CHECK constraints see all of its fields changed at once)."""
    deltas = {f: {k: v for k, v in d.items() if v} for f, d in deltas.items()}
    ids = sorted({k for d in deltas.values() for k in d})
    if not ids:
        return
    qn = connection.ops.quote_name
    pk = qn(model._meta.pk.column)
    sets = []
    params: list[int] = []
    for name, d in deltas.items():
        if not d:
            continue
        column = qn(model._meta.get_field(name).column)
        sets.append(f"{column} = {column} + CASE {pk} "
                    f"{' '.join(['WHEN %s THEN %s'] * len(d))} ELSE 0 END")
        params += [x for pair in d.items() for x in pair]
    params += ids
    sql = (f"UPDATE {qn(model._meta.db_table)} SET {', '.join(sets)} "
           f"WHERE {pk} IN ({', '.join(['%s'] * len(ids))})")
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _param(value: Any) -> Any:
    """A time as the ORM stores it: on SQLite text in UTC without an offset,
    so `>=` and `=` compare with stored times (the driver's own form adds
    "+00:00" and sorts after the same stored moment)."""
    if isinstance(value, datetime.datetime):
        return connection.ops.adapt_datetimefield_value(value)
    return value


def fetch(sql: str, params: Iterable[Any] = ()) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, [_param(p) for p in params])
        return cursor.fetchall()


def table(model: type[models.Model]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def quote(name: str) -> str:
    return connection.ops.quote_name(name)


def in_list(values: Sequence[Any]) -> str:
    """`%s, %s, ...` for an IN list of `values` (never empty)."""
    if not values:
        raise ValueError("an IN list needs at least one value")
    return ", ".join(["%s"] * len(values))


CENTS = Decimal("0.01")


def as_money(value: Any) -> Decimal:
    """A money column as read by a plain statement (SQLite hands back a float
    or an int, PostgreSQL a Decimal) as a Decimal with two places."""
    if type(value) is Decimal and value.as_tuple().exponent == -2:
        return value  # a sum of two-place columns: already so (most rows of a report)
    return Decimal(str(value)).quantize(CENTS)


def as_aware_time(value: Any) -> Any:
    """A time column as read by a plain statement (SQLite hands back text or
    a naive datetime, both UTC; PostgreSQL an aware datetime) as an aware
    datetime; anything else as it is."""
    if isinstance(value, str):
        from django.utils.dateparse import parse_datetime

        value = parse_datetime(value) or value
    if isinstance(value, datetime.datetime) and value.tzinfo is None:
        return value.replace(tzinfo=datetime.UTC)
    return value


@dataclass(frozen=True)
class Ref:
    """The primary key of row `index` of an earlier insert in the same batch."""

    step: str
    index: int = 0


@dataclass(frozen=True)
class NumberOf:
    """The document number (`BO-000012`) of a row an earlier insert made."""

    ref: Ref
    prefix: str


def set_based() -> bool:
    """The one place the database's dialect is asked: PostgreSQL takes the
    set-based statements (one statement for a batch, arrays, window
    functions, COPY); any other database the portable path. Every app's
    choice of path goes through here; where an app can force its portable
    path, the tests run both against each other on PostgreSQL."""
    return connection.vendor == "postgresql"


class WriteBatch:
    """Inserts and counter updates that depend on each other's new ids, as
    one statement on PostgreSQL (a chain of data-modifying CTEs) and one
    statement each on SQLite, where a round trip costs nothing.

    `insert(step, objs, refs=...)` queues unsaved instances; `refs[i]` maps an
    attname of object i to a `Ref` (its id is that of an earlier step's row)
    or a `NumberOf`. `add(model, field, deltas)` queues `field += delta`.
    `run()` writes everything and sets every instance's primary key. Within
    a PostgreSQL statement, rows of one multi-row INSERT take ids in VALUES
    order, so row `index` of a step is its `index`-th smallest id.
    """

    def __init__(self) -> None:
        self._steps: list[tuple[str, Any, Any]] = []

    def insert(self, step: str, objs: Sequence[models.Model],
               refs: Sequence[Mapping[str, Ref | NumberOf]] | None = None) -> None:
        if objs:
            self._steps.append(("insert", step, (list(objs), refs or [{}] * len(objs))))

    def add(self, model: type[models.Model], field: str, deltas: Mapping[int, int]) -> None:
        deltas = {k: v for k, v in deltas.items() if v}
        if deltas:
            self._steps.append(("add", f"add{len(self._steps)}", (model, field, deltas)))

    def run(self) -> None:
        if not self._steps:
            return
        if set_based():
            self._run_as_one_statement()
        else:
            self._run_step_by_step()
        self._steps = []

    # -- one statement per step (SQLite) -------------------------------------

    def _run_step_by_step(self) -> None:
        ids: dict[str, list[int]] = {}
        for kind, step, args in self._steps:
            if kind == "add":
                add_to_column(*args)
                continue
            objs, refs = args
            for obj, row_refs in zip(objs, refs, strict=True):
                for attname, ref in row_refs.items():
                    if isinstance(ref, NumberOf):
                        value = format_number(ref.prefix, ids[ref.ref.step][ref.ref.index])
                    else:
                        value = ids[ref.step][ref.index]
                    setattr(obj, attname, value)
            insert_instances(objs)
            ids[step] = [o.pk for o in objs]

    # -- one statement (PostgreSQL) ------------------------------------------

    @staticmethod
    def _ref_sql(ref: Ref) -> str:
        return f"(SELECT id FROM {ref.step} ORDER BY id LIMIT 1 OFFSET {int(ref.index)})"

    def _run_as_one_statement(self) -> None:
        qn = connection.ops.quote_name
        ctes: list[str] = []
        params: list[Any] = []
        inserts: list[tuple[str, list[models.Model]]] = []
        for kind, step, args in self._steps:
            if kind == "add":
                model, field, deltas = args
                column = qn(model._meta.get_field(field).column)
                pk = qn(model._meta.pk.column)
                cases = " ".join(["WHEN %s THEN %s"] * len(deltas))
                ctes.append(
                    f"{step} AS (UPDATE {qn(model._meta.db_table)} SET {column} = {column} + "
                    f"CASE {pk} {cases} ELSE 0 END WHERE {pk} IN ({in_list(list(deltas))}))")
                params += [x for pair in deltas.items() for x in pair]
                params += list(deltas)
                continue
            objs, refs = args
            model = type(objs[0])
            fields = _insert_fields(model)
            rows = []
            for obj, row_refs in zip(objs, refs, strict=True):
                cells = []
                for f in fields:
                    ref = row_refs.get(f.attname)
                    if isinstance(ref, Ref):
                        cells.append(self._ref_sql(ref))
                    elif isinstance(ref, NumberOf):
                        cells.append(number_sql(ref.prefix, self._ref_sql(ref.ref)))
                    else:
                        value = f.pre_save(obj, True)
                        cells.append("%s")
                        params.append(value if value is None or type(value) in _PLAIN
                                      else f.get_db_prep_save(value, connection))
                rows.append("(" + ", ".join(cells) + ")")
            ctes.append(
                f"{step} AS (INSERT INTO {qn(model._meta.db_table)} "
                f"({', '.join(qn(f.column) for f in fields)}) VALUES {', '.join(rows)} "
                f"RETURNING {qn(model._meta.pk.column)} AS id)")
            inserts.append((step, objs))
        selects = [f"SELECT {i} AS step, id FROM {step}" for i, (step, _) in enumerate(inserts)]
        sql = f"WITH {', '.join(ctes)} " + (
            " UNION ALL ".join(selects) + " ORDER BY 1, 2" if selects else "SELECT 0, 0")
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            got: dict[int, list[int]] = {}
            for i, pk in cursor.fetchall():
                got.setdefault(i, []).append(pk)
        for i, (_, objs) in enumerate(inserts):
            for obj, pk in zip(objs, got.get(i, []), strict=True):
                obj.pk = pk
                obj._state.adding = False
                obj._state.db = connection.alias
        # Instances that referred to a new row get its id, as on SQLite.
        ids = {step: [o.pk for o in objs] for step, objs in inserts}
        for kind, _, args in self._steps:
            if kind == "insert":
                for obj, row_refs in zip(*args, strict=True):
                    for attname, ref in row_refs.items():
                        setattr(obj, attname, format_number(ref.prefix, ids[ref.ref.step][
                            ref.ref.index]) if isinstance(ref, NumberOf)
                            else ids[ref.step][ref.index])


def number_sql(prefix: str, id_sql: str) -> str:
    """SQL for `format_number(prefix, id)` (PostgreSQL): at least six digits."""
    return (f"'{prefix}-' || CASE WHEN {id_sql} < 1000000 "
            f"THEN lpad(({id_sql})::text, 6, '0') ELSE ({id_sql})::text END")

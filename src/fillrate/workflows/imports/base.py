"""Running an import: check every row, then write all of them in one
transaction, or none.

The file is read twice, a chunk at a time (memory stays flat whatever its
size): the first pass parses each row and checks it against the database
and the rows before it, collecting every error; only when there is none does
the second pass write, chunk by chunk, inside one transaction. A row the
write still refuses (an order the `reject` oversell policy turns away, stock
that moved in between) fails the whole import the same way. A dry run does
all of it and rolls the transaction back, so its counts are exact.
"""

from __future__ import annotations

import csv
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from fillrate.core.events import record_event
from fillrate.core.retry import retry_on_lock_conflict
from fillrate.core.sql import fetch, in_list, set_based, table
from fillrate.workflows.imports.rows import (
    Column,
    Errors,
    ImportFailed,
    Row,
    RowError,
    chunks,
    read_rows,
)

OpenLines = Callable[[], Iterable[str]]
Progress = Callable[[str, int], None]


@dataclass
class Counts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    extra: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class ImportResult:
    kind: str
    rows: int
    created: int
    updated: int
    unchanged: int
    seconds: float
    dry_run: bool
    extra: dict[str, int]

    def summary(self) -> str:
        verb = "would import" if self.dry_run else "imported"
        parts = [f"{self.created} created", f"{self.updated} updated"]
        if self.unchanged:
            parts.append(f"{self.unchanged} unchanged")
        parts += [f"{v} {k.replace('_', ' ')}" for k, v in self.extra.items()]
        return (f"{verb} {self.rows} {self.kind}: {', '.join(parts)} "
                f"in {self.seconds:.1f} s" + (" (dry run: nothing written)" if self.dry_run
                                              else ""))

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "rows": self.rows, "created": self.created,
                "updated": self.updated, "unchanged": self.unchanged, "dry_run": self.dry_run,
                "seconds": round(self.seconds, 3), **self.extra}


class Kind:
    """One importable kind. Subclasses give `name`, `event`, `columns` and
    `check`/`write`."""

    name: str
    event: str
    columns: list[Column]

    def start(self) -> dict[str, Any]:
        """State carried from chunk to chunk of the check pass."""
        return {}

    def check(self, chunk: list[Row], errors: Errors, state: dict[str, Any]) -> None:
        raise NotImplementedError

    def write(self, read: Callable[[], Iterator[list[Row]]], state: dict[str, Any], *,
              actor_id: int | None, tick: Callable[[int], None]) -> Counts:
        raise NotImplementedError

    def import_columns(self) -> list[Column]:
        return [c for c in self.columns if not c.export_only]


class _DryRun(Exception):
    def __init__(self, counts: Counts) -> None:
        self.counts = counts


def run_import(kind: Kind, open_lines: OpenLines, *, dry_run: bool = False,
               actor_id: int | None = None, progress: Progress | None = None) -> ImportResult:
    """Import the CSV that `open_lines()` reads (called once per pass).
    Raises `ImportFailed` (422) with every error found; then nothing was
    written."""
    started = time.monotonic()
    tick_check = (lambda n: progress("checking", n)) if progress else (lambda n: None)
    tick_write = (lambda n: progress("writing", n)) if progress else (lambda n: None)
    errors = Errors()
    state = kind.start()
    state["present"] = present_columns(open_lines())
    rows = 0
    for chunk in chunks(read_rows(open_lines(), kind.columns, errors)):
        kind.check(chunk, errors, state)
        rows += len(chunk)
        tick_check(len(chunk))
    errors.raise_if_any()

    def read() -> Iterator[list[Row]]:
        again = Errors()
        yield from chunks(read_rows(open_lines(), kind.columns, again))
        if again.total:  # the file changed between the passes
            again.raise_if_any()

    try:
        counts = _write(kind, read, state, actor_id=actor_id, rows=rows, dry_run=dry_run,
                        tick=tick_write)
    except _DryRun as done:
        counts = done.counts
    return ImportResult(kind=kind.name, rows=rows, created=counts.created,
                        updated=counts.updated, unchanged=counts.unchanged,
                        seconds=time.monotonic() - started, dry_run=dry_run,
                        extra=counts.extra)


@retry_on_lock_conflict
def _write(kind: Kind, read, state, *, actor_id, rows: int, dry_run: bool, tick) -> Counts:
    counts = kind.write(read, state, actor_id=actor_id, tick=tick)
    record_event(type=kind.event, subject_type="import", subject=kind.name, actor_id=actor_id,
                 payload={"rows": rows, "created": counts.created, "updated": counts.updated,
                          "unchanged": counts.unchanged, **counts.extra})
    if dry_run:
        raise _DryRun(counts)  # leaves the transaction, which rolls it back
    return counts


def present_columns(lines: Iterable[str]) -> set[str]:
    """The columns the file's header names (an existing record keeps the
    fields of columns the file leaves out)."""
    try:
        header = next(csv.reader(lines))
    except (StopIteration, csv.Error):
        return set()
    return {h.strip().lstrip("\ufeff").strip().lower() for h in header}


def fail(row: int, column: str, message: str) -> ImportFailed:
    return ImportFailed([RowError(row, column, message)])


# -- lookups shared by the kinds ----------------------------------------------------

def one_of(column: str, values: list) -> tuple[str, list]:
    """`column` is one of the texts `values` (never empty), as SQL and parameters: one
    array parameter on PostgreSQL (psycopg splits a statement of thousands
    of placeholders slowly), an IN list elsewhere."""
    if set_based():
        # A semi-join, hashed: `= ANY(array)` would compare each row with
        # every value when no index serves the column.
        return f"{column} IN (SELECT unnest(%s::text[]))", [values]
    return f"{column} IN ({in_list(values)})", values


def pairs_in(columns: tuple[str, str], pairs: list[tuple[int, int]]) -> tuple[str, list]:
    """`(a, b)` is one of `pairs` (never empty), as `one_of` does it."""
    a, b = columns
    if set_based():
        return (f"({a}, {b}) IN (SELECT * FROM unnest(%s::bigint[], %s::bigint[]))",
                [[p[0] for p in pairs], [p[1] for p in pairs]])
    return (f"({a}, {b}) IN (VALUES {', '.join(['(%s, %s)'] * len(pairs))})",
            [x for pair in pairs for x in pair])


def ids_by_key(model, column: str, keys: Iterable[str]) -> dict[str, int]:
    """`{key: id}` of the rows of `model` whose `column` is one of `keys` (exact)."""
    keys = sorted(set(keys))
    if not keys:
        return {}
    where, params = one_of(column, keys)
    return {k: pk for pk, k in fetch(f"SELECT id, {column} FROM {table(model)} WHERE {where}",
                                     params)}


def spelled_otherwise(model, column: str, keys: Iterable[str]) -> dict[str, str]:
    """`{key: stored}` for keys stored in another case (`abc-1` vs `ABC-1`):
    codes compare case-insensitively when created, so the import may not
    make a second one."""
    keys = sorted(set(keys))
    if not keys:
        return {}
    where, params = one_of(f"UPPER({column})", sorted({k.upper() for k in keys}))
    stored = {value for (value,) in fetch(
        f"SELECT {column} FROM {table(model)} WHERE {where}", params)}
    by_upper = {value.upper(): value for value in stored}
    return {k: by_upper[k.upper()] for k in keys
            if k not in stored and k.upper() in by_upper}

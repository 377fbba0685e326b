"""Reading a CSV file of one kind: the header, each cell parsed by its column,
errors that name the row (as a spreadsheet numbers it: the header is row 1)
and the column.

Rows are read lazily and handed on in chunks, so a file of any size is held
a chunk at a time.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from fillrate.core.errors import InvalidValue

# Rows per chunk: one lookup statement and one write statement each.
CHUNK = 5000
# Errors kept for the answer; the count of all of them is kept too.
MAX_ERRORS = 1000
MAX_QUANTITY = 2**31 - 1
MAX_MONEY = Decimal("9999999999.99")


class CellError(ValueError):
    """A cell's value cannot be read: the message says why."""


@dataclass(frozen=True)
class RowError:
    row: int
    column: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "message": self.message}

    def __str__(self) -> str:
        where = f"row {self.row}" + (f", column {self.column}" if self.column else "")
        return f"{where}: {self.message}"


class ImportFailed(InvalidValue):
    """Rows that cannot be imported; nothing was written (HTTP 422, CLI exit 2)."""

    def __init__(self, errors: list[RowError], total: int | None = None) -> None:
        total = len(errors) if total is None else total
        first = str(errors[0]) if errors else "the file cannot be imported"
        more = f" (and {total - 1} more)" if total > 1 else ""
        super().__init__("imports.invalid_rows", f"{first}{more}; nothing was imported")
        self.errors = errors
        self.total = total


@dataclass(frozen=True)
class Column:
    name: str
    parse: Callable[[str], Any]
    # The header must name it (a missing optional column reads as blank).
    required: bool = False
    # Written by exports for people to read; ignored when imported.
    export_only: bool = False


@dataclass
class Row:
    number: int
    values: dict[str, Any]


@dataclass
class Errors:
    """Every error of an import, the first `MAX_ERRORS` kept."""

    kept: list[RowError] = field(default_factory=list)
    total: int = 0
    bad_rows: set[int] = field(default_factory=set)

    def add(self, row: int, column: str, message: str) -> None:
        self.total += 1
        self.bad_rows.add(row)
        if len(self.kept) < MAX_ERRORS:
            self.kept.append(RowError(row, column, message))

    def raise_if_any(self) -> None:
        if self.total:
            raise ImportFailed(sorted(self.kept, key=lambda e: e.row), self.total)


# -- cell parsers ---------------------------------------------------------------

_SPACE = re.compile(r"\s")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def guard(value: str) -> str:
    """A text cell a spreadsheet will not run: one that starts like a formula
    gets a leading apostrophe (OWASP's advice for CSV injection)."""
    return f"'{value}" if value[:1] in FORMULA_STARTS else value


def unguard(value: str) -> str:
    """What `guard` wrote, read back (so an export imports unchanged)."""
    return value[1:] if value[:1] == "'" and value[1:2] in FORMULA_STARTS else value


def text(*, max_length: int, required: bool = False, spaces: bool = True,
         slash: bool = True) -> Callable[[str], str]:
    def parse(value: str) -> str:
        value = value.strip()
        if value[:1] == "'":
            value = unguard(value)
        if not value:
            if required:
                raise CellError("is required")
            return value
        if len(value) > max_length:
            raise CellError(f"is longer than {max_length} characters")
        if not spaces and _SPACE.search(value):
            raise CellError("cannot contain spaces")
        if not slash and "/" in value:
            raise CellError("cannot contain '/'")
        if "\x00" in value:
            raise CellError("contains a NUL character")
        return value

    return parse


def integer(*, minimum: int = 0, maximum: int = MAX_QUANTITY,
            default: int | None = None) -> Callable[[str], int]:
    def parse(value: str) -> int:
        value = value.strip()
        if not value and default is not None:
            return default
        try:
            number = int(value)
        except ValueError:
            raise CellError(f"{value!r} is not a whole number" if value
                            else "is required") from None
        if not minimum <= number <= maximum:
            raise CellError(f"must be from {minimum} to {maximum}")
        return number

    return parse


def money(*, blank: Decimal | None = None, allow_blank: bool = False) -> Callable[[str], Any]:
    def parse(value: str) -> Decimal | None:
        value = value.strip()
        if not value:
            if allow_blank:
                return blank
            raise CellError("is required")
        try:
            amount = Decimal(value)
        except InvalidOperation:
            raise CellError(f"{value!r} is not an amount (use digits and a point: 12.50)") \
                from None
        if not amount.is_finite() or not 0 <= amount <= MAX_MONEY:
            raise CellError(f"must be from 0 to {MAX_MONEY}")
        if amount != amount.quantize(Decimal("0.01")):
            raise CellError("has more than two decimal places")
        return amount.quantize(Decimal("0.01"))

    return parse


_TRUE = {"true", "yes", "y", "1"}
_FALSE = {"false", "no", "n", "0", ""}


def boolean(*, default: bool = False) -> Callable[[str], bool]:
    def parse(value: str) -> bool:
        value = value.strip().lower()
        if value == "":
            return default
        if value in _TRUE:
            return True
        if value in _FALSE:
            return False
        raise CellError(f"{value!r} is not true or false")

    return parse


def choice(values: Iterable[str], *, default: str | None = None) -> Callable[[str], str]:
    allowed = list(values)

    def parse(value: str) -> str:
        value = value.strip().lower()
        if not value and default is not None:
            return default
        if value not in allowed:
            raise CellError(f"must be one of {', '.join(allowed)}")
        return value

    return parse


def email(value: str) -> str:
    value = value.strip()
    if value:
        if len(value) > 254:
            raise CellError("is longer than 254 characters")
        try:
            validate_email(value)
        except ValidationError:
            raise CellError(f"{value!r} is not an email address") from None
    return value


def date(*, required: bool = False) -> Callable[[str], dt.date | None]:
    def parse(value: str) -> dt.date | None:
        value = value.strip()
        if not value:
            if required:
                raise CellError("is required")
            return None
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            raise CellError(f"{value!r} is not a date (YYYY-MM-DD)") from None

    return parse


def ignored(value: str) -> str:
    return value


# -- reading ----------------------------------------------------------------------

def header_row(columns: list[Column]) -> list[str]:
    return [c.name for c in columns]


def read_rows(lines: Iterable[str], columns: list[Column], errors: Errors) -> Iterator[Row]:
    """Parse each record; a bad header is one error on row 1 and no rows.
    Rows with a bad cell are reported and not yielded; blank lines are
    skipped."""
    reader = csv.reader(lines)
    try:
        header = next(reader)
    except StopIteration:
        errors.add(1, "", "the file is empty: the first row must be the header "
                   f"({','.join(header_row(columns))})")
        return
    except csv.Error as exc:
        errors.add(1, "", f"not a CSV file: {exc}")
        return
    header = [h.strip().lstrip("\ufeff").strip().lower() for h in header]
    known = {c.name: c for c in columns}
    bad = False
    for name in header:
        if name not in known:
            errors.add(1, name, f"unknown column (the columns are {', '.join(known)})")
            bad = True
    for c in columns:
        if c.required and c.name not in header:
            errors.add(1, c.name, "this column is required")
            bad = True
    if len(set(header)) != len(header):
        errors.add(1, "", "a column is named twice")
        bad = True
    if bad:
        return
    used = [(i, c.name, c.parse) for i, c in
            ((i, known[name]) for i, name in enumerate(header)) if not c.export_only]
    # Columns the file leaves out read as blank: parsed once.
    blank: dict[str, Any] = {}
    blank_errors: list[tuple[str, str]] = []
    for c in columns:
        if c.name not in header and not c.export_only:
            try:
                blank[c.name] = c.parse("")
            except CellError as exc:
                blank_errors.append((c.name, str(exc)))
    width = len(header)
    number = 1
    while True:
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            number += 1
            errors.add(number, "", f"cannot be read: {exc}")
            return
        number += 1
        if not record or (not record[0] and not "".join(record).strip()):
            continue  # a blank line, or a row of empty cells
        if len(record) != width:
            if len(record) > width:
                errors.add(number, "", f"has {len(record)} cells, the header {width}")
                continue
            record = record + [""] * (width - len(record))
        try:  # the common case: every cell reads
            values = {name: parse(record[i]) for i, name, parse in used}
        except CellError:
            for i, name, parse in used:
                try:
                    parse(record[i])
                except CellError as exc:
                    errors.add(number, name, str(exc))
            continue
        if blank_errors:
            for name, message in blank_errors:
                errors.add(number, name, message)
            continue
        if blank:
            values.update(blank)
        yield Row(number, values)


def chunks(rows: Iterable[Row], size: int = CHUNK) -> Iterator[list[Row]]:
    chunk: list[Row] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk

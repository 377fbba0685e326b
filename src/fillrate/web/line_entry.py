"""Forms with rows of SKU, quantity and an optional money amount (a price on
an order, a cost on a purchase order): the rows as typed, each with its own
errors, and the parse of one row. Each row has a key so htmx can add rows."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import TypeVar

from fillrate.catalog.keys import sku_key
from fillrate.catalog.selectors import existing_skus

T = TypeVar("T")


@dataclass
class EntryLine:
    """One row as typed. `amount` is the text of the form field named by the
    form (`unit_price`, `unit_cost`); errors are keyed by field name."""

    key: str
    sku: str = ""
    quantity: str = ""
    amount: str = ""
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def blank(self) -> bool:
        return not (self.sku or self.quantity or self.amount)


def new_key() -> str:
    return secrets.token_hex(4)


def blank_rows(count: int) -> list[EntryLine]:
    return [EntryLine(key=new_key()) for _ in range(count)]


def entry_lines(data, *, amount_field: str) -> list[EntryLine]:
    """The rows of a submitted form (`sku`, `quantity`, `amount_field` and
    `key` repeated once per row)."""
    skus, quantities, amounts, keys = (data.getlist(k) for k in ("sku", "quantity",
                                                                  amount_field, "key"))

    def at(values: list[str], i: int) -> str:
        return values[i].strip() if i < len(values) else ""

    return [EntryLine(key=at(keys, i) or new_key(), sku=at(skus, i),
                      quantity=at(quantities, i), amount=at(amounts, i))
            for i in range(max(len(skus), len(quantities), len(amounts)))]


def parse_row(row: EntryLine, *, amount_field: str,
              amount_hint: str) -> tuple[int, Decimal | None]:
    """The row's quantity and amount; what is wrong is noted in `row.errors`
    (`amount_hint` is the message for a bad amount)."""
    if not row.sku:
        row.errors["sku"] = "Enter a SKU."
    quantity = 0
    try:
        quantity = int(row.quantity)
        if quantity <= 0:
            row.errors["quantity"] = "Quantity must be at least 1."
    except ValueError:
        row.errors["quantity"] = "Enter a whole number."
    amount = None
    if row.amount:
        try:
            amount = Decimal(row.amount)
            if not amount.is_finite() or amount < 0 or amount.as_tuple().exponent < -2:
                raise InvalidOperation
        except InvalidOperation:
            row.errors[amount_field] = amount_hint
    return quantity, amount


def parse_rows(rows: list[EntryLine], *, amount_field: str, amount_hint: str,
               make: Callable[[str, int, Decimal | None], T]) -> tuple[list[T], list[EntryLine]]:
    """The non-blank rows without errors as inputs (`make(sku, quantity,
    amount)`), errors noted on the rows, and the rows the inputs came from,
    in the same order."""
    inputs, used = [], []
    for row in rows:
        if row.blank:
            continue
        quantity, amount = parse_row(row, amount_field=amount_field, amount_hint=amount_hint)
        if not row.errors:
            inputs.append(make(row.sku, quantity, amount))
            used.append(row)
    return inputs, used


def drop_unknown_skus(inputs: list[T], used: list[EntryLine]) -> tuple[list[T], list[EntryLine]]:
    """Note "no product with SKU …" on each parsed row whose SKU no product
    has (one query), so the form shows it with the rows' other mistakes in
    one round; returns the other inputs and rows, in order."""
    known = existing_skus([row.sku for row in used])
    for row in used:
        if sku_key(row.sku) not in known:
            row.errors["sku"] = f"no product with SKU {row.sku!r}"
    kept = [(x, row) for x, row in zip(inputs, used, strict=True) if not row.errors]
    return [x for x, _ in kept], [row for _, row in kept]

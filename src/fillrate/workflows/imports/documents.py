"""Orders and purchase orders, one row per line. The rows of one document
come together and share its key (`order`, `purchase_order`) and header
columns; each new document goes through the same workflow as the API
(`place_order`: stock allocation, the oversell policy, backorders, promises,
events; `create_purchase_order`: promises to waiting backorders). A key that
is the number of an existing document (as an export writes it) leaves that
document as it is, so an export imports again without effect."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

from fillrate.catalog.models import Product
from fillrate.core.errors import DomainError
from fillrate.core.sql import fetch, in_list, table
from fillrate.workflows.imports.base import Counts, Kind, ids_by_key, one_of
from fillrate.workflows.imports.rows import Errors, ImportFailed, Row, RowError

_LINE_FIELD = re.compile(r"lines\[(\d+)\]\.(\w+)")


class DocumentKind(Kind):
    key: str  # the column that groups rows into one document
    prefix: str  # "SO"
    model: Any
    party_model: Any  # Customer, Supplier
    party: str  # the column naming the customer or supplier
    header: list[str]  # columns every row of a document repeats
    what: str  # "order"

    def start(self) -> dict[str, Any]:
        return {"done": set(), "group": None}

    def existing_ids(self, keys: list[str]) -> set[int]:
        ids = sorted({i for i in (self.number_id(k) for k in keys) if i is not None})
        if not ids:
            return set()
        return {pk for (pk,) in fetch(
            f"SELECT id FROM {table(self.model)} WHERE id IN ({in_list(ids)})", ids)}

    def number_id(self, key: str) -> int | None:
        match = re.fullmatch(rf"{self.prefix}-0*(\d{{1,18}})", key.strip().upper())
        return int(match.group(1)) if match else None

    def check(self, chunk: list[Row], errors: Errors, state: dict[str, Any]) -> None:
        existing = self.existing_ids([r.values[self.key] for r in chunk])
        parties = ids_by_key(self.party_model, "code", [r.values[self.party] for r in chunk])
        products = {sku: discontinued for sku, discontinued in self._products(chunk)}
        for row in chunk:
            v = row.values
            group = state["group"]
            if group is None or group["key"] != v[self.key]:
                if v[self.key] in state["done"]:
                    errors.add(row.number, self.key, f"{self.what} {v[self.key]} continues "
                               f"after other {self.what}s: keep its rows together")
                    continue
                state["done"].add(v[self.key])
                group = state["group"] = {
                    "key": v[self.key], "row": row.number, "skus": {},
                    "header": {c: v[c] for c in self.header},
                    "existing": self.number_id(v[self.key]) in existing,
                }
            if group["existing"]:
                continue
            for column in self.header:
                if v[column] != group["header"][column]:
                    errors.add(row.number, column, f"differs from row {group['row']} of "
                               f"{self.what} {group['key']}")
            if v[self.party] not in parties:
                errors.add(row.number, self.party, f"no {self.party} {v[self.party]}")
            sku = v["sku"]
            if sku not in products:
                errors.add(row.number, "sku", f"no product with SKU {sku}")
            elif products[sku]:
                errors.add(row.number, "sku", f"{sku} is discontinued")
            first = group["skus"].get(sku.upper())
            if first is not None:
                errors.add(row.number, "sku", f"{sku} is on row {first} of this {self.what} "
                           "already: put the whole quantity on one row")
            else:
                group["skus"][sku.upper()] = row.number

    @staticmethod
    def _products(chunk: list[Row]) -> list[tuple[str, bool]]:
        where, params = one_of("sku", sorted({r.values["sku"] for r in chunk}))
        return [(s, bool(d)) for s, d in fetch(
            f"SELECT sku, discontinued FROM {table(Product)} WHERE {where}", params)]

    def create(self, rows: list[Row], *, actor_id: int | None) -> dict[str, int]:
        """Create one document from its rows; returns counts to add up."""
        raise NotImplementedError

    def write(self, read: Callable[[], Iterator[list[Row]]], state: dict[str, Any], *,
              actor_id: int | None, tick: Callable[[int], None]) -> Counts:
        counts = Counts()
        extra: dict[str, int] = {}

        def flush(group: list[Row]) -> None:
            if not group:
                return
            if self.number_id(group[0].values[self.key]) in self.existing_ids(
                    [group[0].values[self.key]]):
                counts.unchanged += 1
                return
            try:
                made = self.create(group, actor_id=actor_id)
            except DomainError as exc:
                raise ImportFailed([_row_error(group, exc)]) from None
            counts.created += 1
            for k, n in made.items():
                extra[k] = extra.get(k, 0) + n

        group: list[Row] = []
        for chunk in read():
            for row in chunk:
                if group and row.values[self.key] != group[0].values[self.key]:
                    flush(group)
                    group = []
                group.append(row)
            tick(len(chunk))
        flush(group)
        counts.extra = extra
        return counts


def _row_error(group: list[Row], exc: DomainError) -> RowError:
    """The row and column a workflow's error names (`lines[2].quantity` is
    the quantity of the document's third row)."""
    match = _LINE_FIELD.fullmatch(exc.field or "")
    if match and int(match.group(1)) < len(group):
        return RowError(group[int(match.group(1))].number, match.group(2), exc.message)
    return RowError(group[0].number, (exc.field or "").split(".")[0], exc.message)

"""Placing an order whose SKUs are typed in any case.

`place_order` is the hot path: its one read matches SKUs as stored, so an
order typed with the stored spelling (every integration, the entry page's
suggestions) costs nothing more. Only when a SKU is not found as typed are
the lines respelled to the stored SKUs (SKUs are unique in any case) with one
more query and placed again; the refused attempt wrote nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from fillrate.catalog.selectors import stored_skus
from fillrate.core.errors import NotFound
from fillrate.orders.services import LineInput
from fillrate.workflows.place_order import PlacedOrder, place_order


def place_order_any_case(*, customer: str, lines: Sequence[LineInput],
                         **options) -> PlacedOrder:
    """`place_order` (its locks, errors and events) with each line's SKU
    matched whatever its case and surrounding spaces."""
    try:
        return place_order(customer=customer, lines=lines, **options)
    except NotFound as error:
        if error.code != "catalog.unknown_sku":
            raise
        spelling = stored_skus([x.sku for x in lines])
        respelled = [replace(x, sku=spelling.get(x.sku.strip().upper(), x.sku)) for x in lines]
        if respelled == list(lines):
            raise
    return place_order(customer=customer, lines=respelled, **options)

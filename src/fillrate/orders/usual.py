"""How much of a product usually sells, so order entry can ask before it
takes a quantity far beyond that (2,000,000 kettles is a typo, not an order).

The rule: a line needs confirming when its quantity is more than
`FLOOR` (1,000) units and more than `FACTOR` (10) times the largest quantity
of that product on any order line placed in the last `LOOKBACK_DAYS` (90)
days; a product nobody ordered in that time has a largest quantity of 0.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Max
from django.utils import timezone

from fillrate.orders.models import OrderLine

LOOKBACK_DAYS = 90
FACTOR = 10
FLOOR = 1000


@dataclass(frozen=True)
class UnusualQuantity:
    sku: str
    quantity: int
    largest_recent: int  # the largest quantity ordered in the last LOOKBACK_DAYS days


def is_unusual(quantity: int, largest_recent: int) -> bool:
    return quantity > FLOOR and quantity > FACTOR * largest_recent


def largest_recent_quantities(skus: Iterable[str], *,
                              now: dt.datetime | None = None) -> dict[str, int]:
    """SKU (upper case) -> the largest quantity on one order line of it placed
    in the last LOOKBACK_DAYS days; SKUs nobody ordered are left out."""
    wanted = sorted({s.upper() for s in skus})
    if not wanted:
        return {}
    since = (now or timezone.now()) - dt.timedelta(days=LOOKBACK_DAYS)
    rows = (OrderLine.objects.filter(product__sku__in=wanted, order__created_at__gte=since)
            .values_list("product__sku").annotate(largest=Max("quantity")))
    return {sku.upper(): largest for sku, largest in rows}


def unusual_quantities(lines: Iterable[tuple[str, int]], *,
                       now: dt.datetime | None = None) -> list[UnusualQuantity]:
    """The lines, as (SKU, quantity), whose quantity needs confirming, in order."""
    lines = list(lines)
    largest = largest_recent_quantities([sku for sku, _ in lines], now=now)
    found = []
    for sku, quantity in lines:
        usual = largest.get(sku.upper(), 0)
        if is_unusual(quantity, usual):
            found.append(UnusualQuantity(sku.upper(), quantity, usual))
    return found

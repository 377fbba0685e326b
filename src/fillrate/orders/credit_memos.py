"""Credits as QuickBooks credit memos: one CSV row per credit in the column
layout QuickBooks Online credit-memo imports map by name (Credit Memo No,
Customer, Credit Memo Date in MM/DD/YYYY, and one item line: Product/Service,
Description, Qty, Rate, Amount; Memo for the order). The item named in
`ITEM` must exist in QuickBooks (a non-inventory or service item)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from django.db.models import QuerySet

from fillrate.core.errors import InvalidValue, NotFound
from fillrate.core.numbers import format_number
from fillrate.orders.models import Credit
from fillrate.orders.services import order_id

ITEM = "Backorder credit"
HEADER = ["Credit Memo No", "Customer", "Credit Memo Date", "Product/Service",
          "Product/Service Description", "Product/Service Quantity", "Product/Service Rate",
          "Product/Service Amount", "Memo"]
REASON_WORDS = {
    "backorder_cancelled": "backordered items cancelled",
    "order_cancelled": "order cancelled",
    "shortfall_cancelled": "items short at ordering cancelled",
    "substituted": "items substituted at a lower value",
    "short_shipped": "items not shipped",
}


def credits(*, customer: str | None = None, order: str | None = None) -> QuerySet[Credit]:
    """Oldest first, with order and customer loaded."""
    qs = Credit.objects.select_related("order__customer").order_by("id")
    if customer:
        qs = qs.filter(order__customer__code=customer)
    if order:
        try:
            qs = qs.filter(order_id=order_id(order))
        except NotFound:  # a malformed number names no order
            raise InvalidValue("orders.invalid_filter", f"no order {order!r}",
                               field="order") from None
    return qs


def credit_memo_csv(rows: Iterable[Credit]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADER)
    for c in rows:
        order_number = format_number("SO", c.order_id)
        amount = format(c.amount, "f")
        writer.writerow([
            c.number, c.order.customer.name, c.created_at.strftime("%m/%d/%Y"), ITEM,
            f"{order_number}: {REASON_WORDS.get(c.reason, c.reason)}"
            + (f" ({c.source})" if c.source else ""),
            1, amount, amount, f"Order {order_number}"])
    return out.getvalue()

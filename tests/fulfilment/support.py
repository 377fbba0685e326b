"""Helpers for the fulfilment tests."""

from __future__ import annotations

from fillrate.fulfilment.models import Fulfillment, FulfillmentLine, Invoice, InvoiceLine
from tests.orders.support import snapshot as order_snapshot


def snapshot() -> dict[str, object]:
    """The order core's snapshot plus every fulfillment and invoice row."""
    return {
        **order_snapshot(),
        "fulfillments": sorted(Fulfillment.objects.values_list(
            "id", "status", "carrier", "tracking_number")),
        "fulfillment_lines": sorted(FulfillmentLine.objects.values_list(
            "fulfillment_id", "order_line_id", "backorder_line_id", "quantity")),
        "invoices": Invoice.objects.count(),
        "invoice_lines": InvoiceLine.objects.count(),
    }


def lines_of(fulfillment) -> list[tuple[str, int, bool]]:
    """(sku, quantity, is a backorder's) of each line."""
    return [(x.product.sku, x.quantity, x.backorder_line_id is not None)
            for x in fulfillment.lines.select_related("product").order_by("id")]

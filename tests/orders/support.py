"""Helpers for the order and backorder tests: a snapshot of everything a
failed request must leave alone, and short ways to place orders."""

from __future__ import annotations

from fillrate.backorders.models import Backorder, BackorderLine, Communication
from fillrate.core.models import Event, Setting
from fillrate.inventory.models import StockLevel, StockMovement
from fillrate.orders.models import Allocation, OrderLine, SalesOrder
from fillrate.orders.services import LineInput
from fillrate.workflows.place_order import PlacedOrder, place_order


def snapshot() -> dict[str, object]:
    """Row counts and every counter the order core writes: two equal snapshots
    around a call mean the call changed nothing."""
    return {
        "orders": sorted(SalesOrder.objects.values_list(
            "id", "status", "ship_complete", "amount_paid", "cancelled_at")),
        "lines": sorted(OrderLine.objects.values_list(
            "id", "quantity", "allocated", "shipped", "backordered", "cancelled", "unit_price")),
        "allocations": sorted(Allocation.objects.values_list(
            "order_line_id", "stock_level_id", "quantity")),
        "backorders": sorted(Backorder.objects.values_list(
            "id", "status", "priority", "expected_date", "notes", "cancel_reason")),
        "backorder_lines": sorted(BackorderLine.objects.values_list(
            "id", "quantity", "allocated", "fulfilled", "cancelled")),
        "communications": Communication.objects.count(),
        "events": Event.objects.count(),
        "settings": sorted(Setting.objects.values_list("key", "value")),
        "levels": sorted(StockLevel.objects.values_list(
            "product_id", "location_id", "on_hand", "allocated")),
        "movements": StockMovement.objects.count(),
    }


def levels(sku: str) -> dict[str, tuple[int, int]]:
    """{location code: (on hand, allocated)} of one product."""
    return {lv.location.code: (lv.on_hand, lv.allocated)
            for lv in StockLevel.objects.filter(product__sku=sku).select_related("location")}


def totals(sku: str) -> tuple[int, int]:
    """(on hand, allocated) of one product over all locations."""
    rows = StockLevel.objects.filter(product__sku=sku).values_list("on_hand", "allocated")
    return sum(r[0] for r in rows), sum(r[1] for r in rows)


def place(customer: str, *lines: tuple[str, int], **kwargs) -> PlacedOrder:
    return place_order(customer=customer, lines=[LineInput(s, q) for s, q in lines], **kwargs)


def buckets(line: OrderLine) -> tuple[int, int, int, int, int]:
    """(allocated, backordered, shipped, cancelled, unallocated) from the database."""
    line.refresh_from_db()
    return line.allocated, line.backordered, line.shipped, line.cancelled, line.unallocated


def event_types(subject: str) -> list[str]:
    return list(Event.objects.filter(subject=subject).order_by("id").values_list(
        "type", flat=True))


def allocate_to_backorder(number: str, sku: str, quantity: int) -> None:
    """Hand `quantity` free units to a backorder line the way a receipt will
    does: an allocation row of the order line and the backorder line's
    `allocated` hold them; the order line keeps counting them as
    `backordered` until they ship."""
    from django.db import transaction

    from fillrate.backorders.services import (
        lock_backorder,
        move_backorder_units,
        refresh_backorder_status,
    )
    from fillrate.inventory.allocation import Request, plan_allocation
    from fillrate.orders import services as orders

    with transaction.atomic():
        backorder = lock_backorder(number)
        line = BackorderLine.objects.select_for_update().get(backorder=backorder,
                                                            product__sku=sku)
        order_lines = orders.lines_of(backorder.order_id, lock=True)
        order_line = next(x for x in order_lines if x.id == line.order_line_id)
        assert quantity <= line.waiting
        plan = plan_allocation([Request(order_line.id, order_line.product_id, quantity)],
                               orders.sellable_candidates([order_line.product_id]))
        assert not plan.short, "not enough free stock for the backorder"
        orders.apply_plan(plan, line_ids={order_line.id: order_line.id})
        move_backorder_units(line, quantity, source="waiting", target="allocated")
        line.save(update_fields=["allocated"])
        refresh_backorder_status(backorder, list(backorder.lines.all()))
        orders.refresh_status(backorder.order, order_lines)

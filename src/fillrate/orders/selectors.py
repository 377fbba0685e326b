"""Read queries over orders."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import F, Prefetch, QuerySet

from fillrate.core.errors import InvalidValue, NotFound
from fillrate.orders.models import OrderLine, OrderStatus, SalesOrder
from fillrate.orders.services import order_id


def orders(*, status: str | None = None, customer: str | None = None) -> QuerySet[SalesOrder]:
    """Newest first. An unknown status is 422 naming `status` (as the backorder list)."""
    qs = SalesOrder.objects.select_related("customer").order_by("-id")
    if status:
        if status not in OrderStatus.values:
            raise InvalidValue("orders.invalid_filter",
                               f"status is one of {', '.join(OrderStatus.values)}",
                               field="status")
        qs = qs.filter(status=status)
    if customer:
        qs = qs.filter(customer__code=customer)
    return qs


def order_detail(number: str) -> SalesOrder:
    """The order with `lines` (and products) and `backorders` (with lines) prefetched."""
    from fillrate.orders.models import SalesOrder as SO

    order = (
        SO.objects.select_related("customer", "customer__sales_rep")
        .prefetch_related(
            Prefetch("lines", queryset=OrderLine.objects.select_related("product").order_by(
                "line_no")),
            "backorders__lines",
        )
        .filter(id=order_id(number)).first()
    )
    if order is None:
        raise NotFound("orders.not_found", f"no order {number!r}")
    return order


def oversold_orders() -> QuerySet[SalesOrder]:
    """Orders on hold because stock ran short: some line has unallocated units."""
    short = OrderLine.objects.filter(
        quantity__gt=F("allocated") + F("shipped") + F("backordered") + F("cancelled"))
    return (
        SalesOrder.objects.filter(status=OrderStatus.ON_HOLD, lines__in=short).distinct()
        .select_related("customer")
        .prefetch_related(Prefetch("lines", queryset=OrderLine.objects.select_related(
            "product").order_by("line_no")))
        .order_by("id")
    )


@dataclass(frozen=True)
class Totals:
    total: Decimal          # value of every unit not cancelled
    backordered_value: Decimal  # value of units on backorder, not yet shipped
    amount_due: Decimal


def order_totals(*, lines, amount_paid: Decimal, charge_backorders_on_shipment: bool,
                 credited: Decimal = Decimal("0")) -> Totals:
    """Pure: with the setting on, an unpaid order is not charged for units on
    backorder (a line's `backordered`: on a backorder, not yet shipped or
    cancelled) until they ship (seed 001). What was `credited` back
    (`fillrate.orders.money`) no longer counts as paid; the amount due is
    never negative (money owed back is the credits, not a negative due)."""
    total = sum((x.unit_price * (x.quantity - x.cancelled) for x in lines), Decimal("0"))
    on_backorder = sum((x.unit_price * x.backordered for x in lines), Decimal("0"))
    charged = total - on_backorder if charge_backorders_on_shipment else total
    return Totals(total=total, backordered_value=on_backorder,
                  amount_due=max(charged - (amount_paid - credited), Decimal("0")))


def ready_to_ship(order: SalesOrder, lines, held_by_backorders: Mapping[int, int]) -> bool:
    """Stock is held and shipping is allowed: the lines' own allocated units
    can ship; a ship-complete order only when every active unit is held (by
    the line itself or by its backorders, `held_by_backorders[line id]`) or
    shipped, and then what its backorders hold ships with it."""
    if order.status in (OrderStatus.ON_HOLD, OrderStatus.CANCELLED):
        return False
    if not order.ship_complete:
        return any(x.allocated for x in lines)
    held = [x.allocated + held_by_backorders.get(x.id, 0) for x in lines]
    return any(held) and all(h + x.shipped + x.cancelled == x.quantity
                             for h, x in zip(held, lines, strict=True))

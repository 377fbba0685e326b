"""Placing an order: reserve stock, apply the oversell policy, open the backorder.

The hot path of the service: a fixed number of statements whatever the number
of lines (settings, customer, products, one locking read of the stock, then
bulk writes), no per-line round trips.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.db import transaction

from fillrate.backorders.models import Backorder
from fillrate.backorders.services import ShortLine, open_backorder
from fillrate.catalog.models import Product
from fillrate.core.business import BusinessSettings, business_settings
from fillrate.core.errors import Conflict, NotFound
from fillrate.core.events import record_events
from fillrate.customers.models import Customer
from fillrate.inventory.allocation import Request, plan_allocation
from fillrate.orders import services as orders
from fillrate.orders.models import OrderLine, SalesOrder
from fillrate.orders.services import LineInput
from fillrate.orders.status import LineQuantities, derive_order_status


@dataclass(frozen=True)
class PlacedOrder:
    order: SalesOrder
    lines: list[OrderLine]
    backorders: list[Backorder]
    settings: BusinessSettings


def place_order(
    *, customer: str, lines: Sequence[LineInput], reference: str = "", hold: bool = False,
    actor_id: int | None = None,
) -> PlacedOrder:
    """Place an order for customer code `customer`.

    Locks the sellable stock levels of every product (product id order) and
    allocates in pick sequence. The shortfall follows `oversell_policy`:
    `backorder` opens one backorder for it, `hold` puts the order on hold on
    the oversold list, `reject` raises `orders.insufficient_stock` (409) and
    nothing is written. Unknown customer or SKU: 404 naming the field;
    a discontinued product: `catalog.discontinued` (409).
    """
    orders.validate_lines(lines)
    settings = business_settings()
    cust = Customer.objects.filter(code=customer).only("id", "code").first()
    if cust is None:
        raise NotFound("customers.unknown_customer", f"no customer {customer!r}",
                       field="customer")
    skus = [x.sku for x in lines]
    products = {p.sku: p for p in Product.objects.filter(sku__in=skus).only(
        "id", "sku", "name", "list_price", "discontinued")}
    for i, line in enumerate(lines):
        product = products.get(line.sku)
        if product is None:
            raise NotFound("catalog.unknown_sku", f"no product with SKU {line.sku!r}",
                           field=f"lines[{i}].sku")
        if product.discontinued:
            raise Conflict("catalog.discontinued", f"{line.sku} is discontinued",
                           field=f"lines[{i}].sku")

    with transaction.atomic():
        candidates = orders.sellable_candidates(p.id for p in products.values())
        plan = plan_allocation(
            [Request(i, products[x.sku].id, x.quantity) for i, x in enumerate(lines)],
            candidates)
        policy = settings.oversell_policy
        if plan.short and policy == "reject":
            first = next(i for i, short in plan.shortfall.items() if short)
            raise Conflict(
                "orders.insufficient_stock",
                f"{lines[first].sku}: {lines[first].quantity} ordered, "
                f"{lines[first].quantity - plan.shortfall[first]} available",
                field=f"lines[{first}].quantity")
        on_hold = hold or (plan.short and policy == "hold")
        buckets = [
            LineQuantities(x.quantity, allocated=x.quantity - plan.shortfall[i],
                           backordered=plan.shortfall[i] if policy == "backorder" else 0)
            for i, x in enumerate(lines)
        ]
        order = SalesOrder.objects.create(
            customer_id=cust.id, reference=reference, placed_by_id=actor_id,
            status=derive_order_status(buckets, on_hold=on_hold),
            ship_complete=not settings.partial_shipments,
        )
        order.customer = cust
        order_lines = [
            OrderLine(
                order=order, line_no=i + 1, product=products[x.sku], quantity=x.quantity,
                unit_price=x.unit_price if x.unit_price is not None
                else products[x.sku].list_price,
                allocated=b.allocated, backordered=b.backordered,
            )
            for i, (x, b) in enumerate(zip(lines, buckets, strict=True))
        ]
        OrderLine.objects.bulk_create(order_lines)
        orders.apply_plan(plan, line_ids={i: ol.id for i, ol in enumerate(order_lines)},
                          new_lines=True)
        backorders = []
        if plan.short and policy == "backorder":
            backorders.append(open_backorder(
                order=order, actor_id=actor_id, reason="out of stock at order entry",
                lines=[ShortLine(ol, ol.backordered) for ol in order_lines if ol.backordered]))
        events = [{
            "type": "OrderPlaced", "subject_type": "order", "subject": order.number,
            "actor_id": actor_id,
            "payload": {"customer": cust.code, "status": order.status,
                        "lines": [{"sku": ol.product.sku, "quantity": ol.quantity,
                                   "allocated": ol.allocated, "backordered": ol.backordered}
                                  for ol in order_lines]},
        }]
        if on_hold:
            events.append({
                "type": "OrderHeld", "subject_type": "order", "subject": order.number,
                "actor_id": actor_id,
                "payload": {"oversold": plan.short and policy == "hold", "requested": hold},
            })
        record_events(events)
    return PlacedOrder(order, order_lines, backorders, settings)

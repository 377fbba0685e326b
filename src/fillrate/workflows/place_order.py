"""Placing an order: reserve stock, apply the oversell policy, open the backorder.

The hot path of the service: four statements whatever the number of lines,
all plain SQL (no query compilation, few model instances): one read of the
settings, the customer and the products; one locking read of their sellable
stock; the order row; then one batch for lines, allocations, stock levels,
the backorder and events (a single statement on PostgreSQL; see
`fillrate.core.sql.WriteBatch`). Which stock each line gets is decided in
between by the pure `plan_allocation`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields

from fillrate.backorders.feeding import repromise
from fillrate.backorders.models import Backorder
from fillrate.backorders.promises import supplied_sql
from fillrate.backorders.services import ShortLine, stage_backorder
from fillrate.catalog.models import Product
from fillrate.core.business import BusinessSettings, settings_from_values, settings_subqueries
from fillrate.core.errors import Conflict, NotFound
from fillrate.core.event_types import EventType
from fillrate.core.events import event_rows
from fillrate.core.retry import retry_on_lock_conflict
from fillrate.core.sql import Ref, WriteBatch, as_money, fetch, in_list, insert_instances, table
from fillrate.customers.models import Customer
from fillrate.inventory.allocation import Request, plan_allocation
from fillrate.orders import services as orders
from fillrate.orders.models import OrderLine, SalesOrder
from fillrate.orders.services import LineInput
from fillrate.orders.status import LineQuantities, derive_order_status


def _lookup(code: str, skus: list[str]) -> tuple[Customer | None, dict[str, Product],
                                                BusinessSettings]:
    """The customer with this code, the products with these SKUs (id, sku,
    name, list price, discontinued) and the business settings, in one plain
    statement: the hot path counts its statements."""
    rows = fetch(
        f"SELECT {settings_subqueries()}, c.id, c.name, p.id, p.sku, p.name, p.list_price, "
        f"p.discontinued, {supplied_sql('p.id')} FROM (SELECT 1 AS one) x "
        f"LEFT JOIN {table(Customer)} c ON c.code = %s "
        f"LEFT JOIN {table(Product)} p ON c.id IS NOT NULL AND p.sku IN ({in_list(skus)})",
        [code, *skus])
    n = len(fields(BusinessSettings))
    settings = settings_from_values(list(rows[0][:n]))
    rows = [r[n:] for r in rows]
    if rows[0][0] is None:
        return None, {}, settings
    customer = Customer(id=rows[0][0], code=code, name=rows[0][1])
    products = {}
    for _, _, pk, sku, name, price, discontinued, supplied in rows:
        if pk is not None:
            products[sku] = Product(id=pk, sku=sku, name=name, list_price=as_money(price),
                                    discontinued=bool(discontinued))
            products[sku].supplied = bool(supplied)
    return customer, products, settings


@dataclass(frozen=True)
class PlacedOrder:
    order: SalesOrder
    lines: list[OrderLine]
    backorders: list[Backorder]
    settings: BusinessSettings


@retry_on_lock_conflict
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
    cust, products, settings = _lookup(customer, [x.sku for x in lines])
    if cust is None:
        raise NotFound("customers.unknown_customer", f"no customer {customer!r}",
                       field="customer")
    for i, line in enumerate(lines):
        product = products.get(line.sku)
        if product is None:
            raise NotFound("catalog.unknown_sku", f"no product with SKU {line.sku!r}",
                           field=f"lines[{i}].sku")
        if product.discontinued:
            raise Conflict("catalog.discontinued", f"{line.sku} is discontinued",
                           field=f"lines[{i}].sku")

    # One transaction (retry_on_lock_conflict opens it): lock, plan, write.
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
    order = SalesOrder(
        customer=cust, reference=reference, placed_by_id=actor_id,
        status=derive_order_status(buckets, on_hold=on_hold),
        ship_complete=not settings.partial_shipments,
    )
    insert_instances([order])
    order_lines = [
        orders.new_line(
            order=order, line_no=i + 1, product=products[x.sku], quantity=x.quantity,
            unit_price=x.unit_price if x.unit_price is not None
            else products[x.sku].list_price,
            allocated=b.allocated, backordered=b.backordered,
        )
        for i, (x, b) in enumerate(zip(lines, buckets, strict=True))
    ]
    # Everything after the order row goes in one batch: one statement on
    # PostgreSQL (the hot path's round trips, see README benchmarks).
    batch = WriteBatch()
    batch.insert("order_lines", order_lines)
    line_refs = {i: Ref("order_lines", i) for i in range(len(order_lines))}
    orders.stage_new_allocations(batch, plan, line_refs=line_refs)
    backorders = []
    if plan.short and policy == "backorder":
        short = [i for i, ol in enumerate(order_lines) if ol.backordered]
        backorders.append(stage_backorder(
            batch, order=order, actor_id=actor_id, reason="out of stock at order entry",
            lines=[ShortLine(order_lines[i], order_lines[i].backordered) for i in short],
            line_refs=[line_refs[i] for i in short]))
    events = [{
        "type": EventType.ORDER_PLACED, "subject_type": "order", "subject": order.number,
        "actor_id": actor_id,
        "payload": {"customer": cust.code, "status": order.status,
                    "lines": [{"sku": ol.product.sku, "quantity": ol.quantity,
                               "allocated": ol.allocated, "backordered": ol.backordered}
                              for ol in order_lines]},
    }]
    if on_hold:
        events.append({
            "type": EventType.ORDER_HELD, "subject_type": "order", "subject": order.number,
            "actor_id": actor_id,
            "payload": {"oversold": plan.short and policy == "hold", "requested": hold},
        })
    batch.insert("order_events", event_rows(events))
    batch.run()
    if backorders:
        # Purchase orders already on their way are promised to the new lines
        # (by the allocation policy, so a VIP's may move others' dates).
        supplied = [ol.product_id for ol in order_lines if ol.backordered
                    and ol.product.supplied]
        if supplied:
            repromise(product_ids=supplied, actor_id=actor_id, cause=order.number)
    return PlacedOrder(order, order_lines, backorders, settings)

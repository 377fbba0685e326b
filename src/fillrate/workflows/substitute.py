"""Substitution at the original price (seed 003, "Offering alternatives"):
backordered units of one product are replaced by another. The backorder
units are cancelled (reason `substituted`), and the substitute is added to
the order as a new line at the original line's unit price unless another is
given; it allocates like any line, and what is short goes on a new
backorder. The two are linked both ways (`backorders.Substitution`).

Staff may instead *propose* a substitute; the customer accepts it through
the choice link (`fillrate.workflows.choice`), which applies it here.

Locks, in the global order: the stock levels of the backordered and the
substitute products, the order, the backorder, then lines.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from fillrate.backorders import lifecycle
from fillrate.backorders.feeding import feed_backorders
from fillrate.backorders.models import (
    Backorder,
    BackorderLine,
    CancelReason,
    Substitution,
    SubstitutionStatus,
)
from fillrate.backorders.services import (
    ShortLine,
    backorder_id,
    cancel_backorder_units,
    open_backorder,
    refresh_backorder_status,
)
from fillrate.catalog.models import Product
from fillrate.catalog.selectors import product_by_sku
from fillrate.core.errors import Conflict, InvalidValue, NotFound
from fillrate.core.event_types import EventType
from fillrate.core.events import record_events
from fillrate.core.numbers import MAX_QUANTITY
from fillrate.core.retry import retry_on_lock_conflict
from fillrate.fulfilment.services import cancel_uncovered_fulfillments
from fillrate.inventory.locks import lock_stock_levels
from fillrate.orders import money
from fillrate.orders import services as orders
from fillrate.orders.models import OrderLine, SalesOrder
from fillrate.orders.money import credit_overpayment

MAX_PRICE = Decimal("9999999999.99")


@dataclass(frozen=True)
class SubstituteLine:
    sku: str  # the backordered product
    substitute_sku: str
    quantity: int
    unit_price: Decimal | None = None  # None: the original line's price


@dataclass(frozen=True)
class _Planned:
    line: BackorderLine
    product: Product
    quantity: int
    unit_price: Decimal


def _validate(lines: Sequence[SubstituteLine]) -> dict[int, Product]:
    """Shapes and products (no locks yet); the substitute product per index."""
    if not lines:
        raise InvalidValue("backorders.no_lines", "name at least one line to substitute",
                           field="lines")
    products = {}
    for i, x in enumerate(lines):
        if not isinstance(x.quantity, int) or not 0 < x.quantity <= MAX_QUANTITY:
            raise InvalidValue("backorders.invalid_quantity",
                               "quantity must be a positive whole number",
                               field=f"lines[{i}].quantity")
        if x.unit_price is not None and not 0 <= x.unit_price <= MAX_PRICE:
            raise InvalidValue("backorders.invalid_price", "unit_price cannot be negative",
                               field=f"lines[{i}].unit_price")
        product = product_by_sku(x.substitute_sku, field=f"lines[{i}].substitute_sku")
        if product.discontinued:
            raise Conflict("catalog.discontinued", f"{product.sku} is discontinued",
                           field=f"lines[{i}].substitute_sku")
        if product.sku.upper() == x.sku.strip().upper():
            raise InvalidValue("backorders.same_product",
                               "a substitute is another product than the one backordered",
                               field=f"lines[{i}].substitute_sku")
        products[i] = product
    return products


def _plan(backorder: Backorder, bo_lines: list[BackorderLine],
          lines: Sequence[SubstituteLine], products: dict[int, Product]) -> list[_Planned]:
    by_sku = {x.product.sku.upper(): x for x in bo_lines}
    taken: dict[int, int] = {}
    planned = []
    for i, x in enumerate(lines):
        line = by_sku.get(x.sku.strip().upper())
        if line is None:
            raise InvalidValue("backorders.unknown_line",
                               f"{backorder.number} has no line for {x.sku}",
                               field=f"lines[{i}].sku")
        total = taken.get(line.id, 0) + x.quantity
        if total > line.open_quantity:
            raise InvalidValue("backorders.invalid_quantity",
                               f"{line.product.sku}: {line.open_quantity} open, cannot "
                               f"substitute {total}", field=f"lines[{i}].quantity")
        taken[line.id] = total
        planned.append(_Planned(line, products[i], x.quantity,
                                line.unit_price if x.unit_price is None else x.unit_price))
    return planned


def _lock(number: str, extra_product_ids: Sequence[int]):
    """Lock stock levels (backordered and substitute products), the order,
    the backorder and its lines; the backorder must be active."""
    bid = backorder_id(number)
    own = list(BackorderLine.objects.filter(backorder_id=bid).values_list("product_id",
                                                                            flat=True))
    if not own:
        raise NotFound("backorders.not_found", f"no backorder {number!r}")
    lock_stock_levels(product_ids=[*own, *extra_product_ids])
    order_pk = Backorder.objects.filter(id=bid).values_list("order_id", flat=True).get()
    order = SalesOrder.objects.select_for_update(of=("self",)).get(id=order_pk)
    backorder = Backorder.objects.select_for_update(of=("self",)).select_related(
        "order").get(id=bid)
    if backorder.status not in lifecycle.ACTIVE:
        raise Conflict("backorders.closed", f"{number} is {backorder.status}")
    bo_lines = list(BackorderLine.objects.select_for_update(of=("self",)).filter(
        backorder_id=bid).select_related("product").order_by("id"))
    order_lines = {x.id: x for x in OrderLine.objects.select_for_update(of=("self",)).filter(
        order_id=order.id).select_related("product").order_by("id")}
    return order, backorder, bo_lines, order_lines


@retry_on_lock_conflict
def substitute(*, number: str, lines: Sequence[SubstituteLine], actor_id: int | None = None,
               proposals: Sequence[Substitution] = ()) -> list[Substitution]:
    """Apply substitutions now (see the module doc); returns them, each with
    its new order line. `proposals` (from `accept_substitutes`) are the
    proposed rows being accepted, one per line, marked applied instead of
    new rows being made. Errors (nothing changes): `backorders.no_lines`,
    `backorders.unknown_line`, `backorders.invalid_quantity` (more than is
    open), `backorders.invalid_price`, `backorders.same_product` (422);
    `catalog.unknown_sku` (404); `catalog.discontinued`,
    `backorders.closed` (409)."""
    products = _validate(lines)
    with transaction.atomic():
        order, backorder, bo_lines, order_lines = _lock(
            number, [p.id for p in products.values()])
        if proposals and Substitution.objects.filter(
                id__in=[x.id for x in proposals],
                status=SubstitutionStatus.PROPOSED).count() != len(proposals):
            raise Conflict("backorders.no_substitute_proposed",
                           f"the substitute proposed for {number} was accepted or withdrawn "
                           "meanwhile")
        planned = _plan(backorder, bo_lines, lines, products)
        quantities: dict[int, int] = {}
        for p in planned:
            quantities[p.line.id] = quantities.get(p.line.id, 0) + p.quantity
        cancel_backorder_units(backorder=backorder, lines=bo_lines, order_lines=order_lines,
                               quantities=quantities)
        status = refresh_backorder_status(backorder, bo_lines)
        if status == lifecycle.CANCELLED:
            backorder.cancelled_at = timezone.now()
            backorder.cancel_reason = CancelReason.SUBSTITUTED
            backorder.cancel_notes = "replaced by a substitute"
            backorder.save(update_fields=["cancelled_at", "cancel_reason", "cancel_notes"])

        next_no = (OrderLine.objects.filter(order_id=order.id).aggregate(n=Max("line_no"))["n"]
                   or 0) + 1
        new_lines = [orders.new_line(order=order, line_no=next_no + i, product=p.product,
                                     quantity=p.quantity, unit_price=p.unit_price)
                     for i, p in enumerate(planned)]
        OrderLine.objects.bulk_create(new_lines)
        new_lines = list(OrderLine.objects.filter(
            order_id=order.id, line_no__gte=next_no).select_related("product").order_by(
            "line_no"))
        plan = orders.allocate_lines(new_lines, {x.id: x.quantity for x in new_lines})
        short = [ShortLine(x, x.quantity - plan.allocated(x.id)) for x in new_lines
                 if x.quantity - plan.allocated(x.id) > 0]
        for s in short:
            orders.move_units(s.order_line, s.quantity, source="unallocated",
                              target="backordered")
        orders.save_line_counters(new_lines)
        new_backorder = None
        if short:
            new_backorder = open_backorder(order=order, lines=short, actor_id=actor_id,
                                           reason=f"substitute for {backorder.number}")

        made = []
        now = timezone.now()
        for i, (p, line) in enumerate(zip(planned, new_lines, strict=True)):
            row = proposals[i] if proposals else Substitution(
                backorder=backorder, backorder_line=p.line, product=p.product,
                quantity=p.quantity, unit_price=p.unit_price, created_by_id=actor_id)
            row.status = SubstitutionStatus.APPLIED
            row.order_line = line
            row.applied_at = now
            row.save()
            made.append(row)

        orders.refresh_status(order, orders.lines_of(order.id))
        detail = [{"sku": p.line.product.sku, "substitute_sku": p.product.sku,
                   "quantity": p.quantity, "unit_price": p.unit_price, "line": line.line_no}
                  for p, line in zip(planned, new_lines, strict=True)]
        record_events([
            {"type": EventType.BACKORDER_SUBSTITUTED, "subject_type": "backorder",
             "subject": backorder.number, "actor_id": actor_id,
             "payload": {"reason": CancelReason.SUBSTITUTED, "status": status,
                         "accepted": bool(proposals), "lines": detail,
                         "new_backorder": new_backorder.number if new_backorder else None}},
            {"type": EventType.ORDER_LINE_ADDED, "subject_type": "order",
             "subject": order.number, "actor_id": actor_id,
             "payload": {"substitute_for": backorder.number, "lines": detail}},
        ])
        cancel_uncovered_fulfillments(backorder_id=backorder.id, actor_id=actor_id)
        feed_backorders(product_ids=[x.product_id for x in bo_lines] + [
            p.product.id for p in planned], actor_id=actor_id, cause=backorder.number,
            changed_backorders=[backorder.id])
        credit_overpayment(order_id=order.id, reason=money.SUBSTITUTED,
                           source=backorder.number, actor_id=actor_id)
    return made


@retry_on_lock_conflict
def propose_substitutes(*, number: str, lines: Sequence[SubstituteLine],
                        actor_id: int | None = None) -> list[Substitution]:
    """Offer substitutes for the customer to accept through the choice link.
    A new proposal replaces the backorder's earlier one (withdrawn). Same
    checks and errors as `substitute`; nothing moves until it is accepted."""
    products = _validate(lines)
    with transaction.atomic():
        _, backorder, bo_lines, _ = _lock(number, [p.id for p in products.values()])
        planned = _plan(backorder, bo_lines, lines, products)
        withdrawn = Substitution.objects.filter(backorder_id=backorder.id,
                                                status=SubstitutionStatus.PROPOSED).update(
            status=SubstitutionStatus.WITHDRAWN)
        made = Substitution.objects.bulk_create([
            Substitution(backorder=backorder, backorder_line=p.line, product=p.product,
                         quantity=p.quantity, unit_price=p.unit_price,
                         status=SubstitutionStatus.PROPOSED, created_by_id=actor_id)
            for p in planned])
        record_events([{"type": EventType.SUBSTITUTE_PROPOSED, "subject_type": "backorder",
                        "subject": backorder.number, "actor_id": actor_id,
                        "payload": {"replaced_earlier": bool(withdrawn), "lines": [
                            {"sku": p.line.product.sku, "substitute_sku": p.product.sku,
                             "quantity": p.quantity, "unit_price": p.unit_price}
                            for p in planned]}}])
    return made


def proposed_substitutes(backorder_pk: int) -> list[Substitution]:
    return list(Substitution.objects.filter(backorder_id=backorder_pk,
                                            status=SubstitutionStatus.PROPOSED)
                .select_related("product", "backorder_line__product").order_by("id"))


def accept_substitutes(*, number: str, actor_id: int | None = None) -> list[Substitution]:
    """Apply the backorder's proposed substitutes (`substitute`); none
    proposed: `backorders.no_substitute_proposed` (409). A proposal for more
    units than are still open fails as `substitute` does."""
    with transaction.atomic():
        proposals = proposed_substitutes(backorder_id(number))
        if not proposals:
            raise Conflict("backorders.no_substitute_proposed",
                           f"no substitute has been proposed for {number}")
        return substitute(number=number, actor_id=actor_id, proposals=proposals, lines=[
            SubstituteLine(p.backorder_line.product.sku, p.product.sku, p.quantity,
                           p.unit_price) for p in proposals])

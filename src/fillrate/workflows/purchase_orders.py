"""Purchase-order changes that move backorder promises.

Open purchase-order quantity is what waiting backorder lines are promised
(`fillrate.backorders.promises`), so creating an ordered purchase order,
ordering a draft, changing an expected date and cancelling each rebuild the
promises of the order's products in the same transaction; every backorder
whose expected date moves gets a `BackorderExpectedDateChanged` event.

Lock order (DESIGN.md): the products' stock levels first -- the same locks
receipts, order placement and cancellations take, which is what serialises
promise rebuilds of one product -- then the purchase order. A product that
has never had stock gets a zero stock level at the receiving location so
there is a row to lock.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.db import transaction

from fillrate.backorders.feeding import repromise
from fillrate.core.retry import retry_on_lock_conflict
from fillrate.inventory.locks import ensure_stock_levels, lock_stock_levels
from fillrate.inventory.selectors import receiving_location
from fillrate.purchasing import services
from fillrate.purchasing.models import PurchaseOrder, PurchaseOrderLine
from fillrate.purchasing.services import PurchaseLineInput, purchase_order_id


def _lock_products(product_ids: list[int]) -> None:
    receiving = receiving_location()
    if receiving is not None:
        ensure_stock_levels((pid, receiving.id) for pid in product_ids)
    lock_stock_levels(product_ids=product_ids)


def _products_of(number: str) -> list[int]:
    return sorted(set(PurchaseOrderLine.objects.filter(
        purchase_order_id=purchase_order_id(number)).values_list("product_id", flat=True)))


@retry_on_lock_conflict
def create_purchase_order(
    *, supplier: str, lines: Sequence[PurchaseLineInput], expected_date: dt.date | None = None,
    status: str = "ordered", notes: str = "", actor_id: int | None = None,
) -> PurchaseOrder:
    """`purchasing.services.create_purchase_order`; an ordered one promises
    its quantities to waiting backorder lines at once."""
    with transaction.atomic():
        po = services.create_purchase_order(supplier=supplier, lines=lines,
                                            expected_date=expected_date, status=status,
                                            notes=notes, actor_id=actor_id)
        if po.status != "draft":
            products = _products_of(po.number)
            _lock_products(products)
            repromise(product_ids=products, actor_id=actor_id, cause=po.number)
    return po


def _then_repromise(change):
    """Run a purchase-order change under its products' locks, then rebuild
    their promises."""

    @retry_on_lock_conflict
    def run(*, number: str, actor_id: int | None = None, **kwargs) -> PurchaseOrder:
        with transaction.atomic():
            products = _products_of(number)
            _lock_products(products)
            po = change(number=number, actor_id=actor_id, **kwargs)
            repromise(product_ids=products, actor_id=actor_id, cause=po.number)
        return po

    run.__doc__ = f"{change.__doc__}\n\nThen the products' promises are rebuilt."
    run.__name__ = change.__name__
    return run


order_purchase_order = _then_repromise(services.order_purchase_order)
update_purchase_order = _then_repromise(services.update_purchase_order)
cancel_purchase_order = _then_repromise(services.cancel_purchase_order)

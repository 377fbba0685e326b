"""Discontinuing a product, and with it, if asked, cancelling what its
waiting customers will never get (reason `product_discontinued`)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from fillrate.backorders.models import CancelReason
from fillrate.backorders.selectors import waiting_for_product
from fillrate.backorders.services import CancelLine
from fillrate.catalog.models import Product
from fillrate.core.errors import DomainError, NotFound
from fillrate.core.event_types import EventType
from fillrate.core.events import record_event
from fillrate.core.retry import retry_on_lock_conflict
from fillrate.workflows.cancel_backorder import cancel_backorder_and_feed

LEFT_NOTHING = {"backorders.invalid_transition", "backorders.invalid_quantity"}


@dataclass(frozen=True)
class Discontinued:
    product: Product
    cancelled_backorders: list[str]  # numbers, oldest first


@retry_on_lock_conflict
def discontinue_product(*, sku: str, cancel_backorders: bool = False,
                        actor_id: int | None = None) -> Discontinued:
    """Mark the product (SKU in any case) discontinued: it can no longer be
    ordered or purchased. `ProductDiscontinued` is written when it was not
    discontinued yet (discontinuing it again changes nothing but may still
    cancel its backorders).

    With `cancel_backorders`, every active backorder's open units of this
    product are cancelled with reason `product_discontinued` through
    `cancel_backorder_and_feed` (oldest backorder first; only this product's
    line of each, so a backorder with other lines stays open for them), one
    event per backorder; stock their allocations held goes to others still
    waiting. All of it is one transaction: on any error nothing changes.
    Locks the product row, then what `cancel_backorder_and_feed` locks.
    Raises `catalog.unknown_sku` (404)."""
    with transaction.atomic():
        product = (Product.objects.select_for_update().filter(sku__iexact=(sku or "").strip())
                   .first())
        if product is None:
            raise NotFound("catalog.unknown_sku", f"no product with SKU {sku!r}", field="sku")
        cancelled: list[str] = []
        if cancel_backorders:
            numbers = list(dict.fromkeys(x.backorder.number
                                         for x in waiting_for_product(product.id)))
            for number in numbers:
                try:
                    cancel_backorder_and_feed(
                        number=number, reason=CancelReason.PRODUCT_DISCONTINUED,
                        lines=[CancelLine(product.sku, None)], actor_id=actor_id)
                except DomainError as error:
                    # Shipped or cancelled since the list was read (its own
                    # savepoint rolled back): nothing of it is left to cancel.
                    if error.code not in LEFT_NOTHING:
                        raise
                else:
                    cancelled.append(number)
        if not product.discontinued:
            product.discontinued = True
            product.save(update_fields=["discontinued"])
            record_event(type=EventType.PRODUCT_DISCONTINUED, subject_type="product",
                         subject=product.sku, actor_id=actor_id,
                         payload={"cancelled_backorders": cancelled})
    return Discontinued(product=product, cancelled_backorders=cancelled)

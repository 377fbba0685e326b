"""Cancelling a backorder (or some of its units) from the API or the UI: the
stock its allocations held goes to other backorders waiting for those
products first (invariant 3), in the same transaction."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import transaction

from fillrate.backorders.models import Backorder, BackorderLine
from fillrate.backorders.services import CancelLine, cancel_backorder
from fillrate.core.retry import retry_on_lock_conflict
from fillrate.fulfilment.services import cancel_uncovered_fulfillments
from fillrate.workflows.feeding import feed_and_requeue


@retry_on_lock_conflict
def cancel_backorder_and_feed(
    *, number: str, reason: str, notes: str = "", notify: bool = False,
    lines: Sequence[CancelLine] | None = None, actor_id: int | None = None,
) -> Backorder:
    """`fillrate.backorders.services.cancel_backorder` (its locks, errors and
    events); pending fulfillments that carried units it no longer holds are
    cancelled; then `feed_and_requeue` for the backorder's products while
    their stock levels are still locked."""
    with transaction.atomic():
        backorder = cancel_backorder(number=number, reason=reason, notes=notes, notify=notify,
                                     lines=lines, actor_id=actor_id)
        cancel_uncovered_fulfillments(backorder_id=backorder.id, actor_id=actor_id)
        product_ids = list(BackorderLine.objects.filter(backorder_id=backorder.id)
                           .values_list("product_id", flat=True))
        feed_and_requeue(product_ids=product_ids, actor_id=actor_id, cause=backorder.number,
                        changed_backorders=[backorder.id])
    return backorder

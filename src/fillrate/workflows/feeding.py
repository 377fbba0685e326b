"""Feeding waiting backorders from the workflows layer: the one place that
feeds and then sends waiting fulfillments back to the pick queue.

`fillrate.backorders.feeding.feed_backorders` gives free stock to waiting
backorder lines; a fulfillment waiting for those lines (status `backorder`,
the issues wall's `wait`) goes back to the pick queue by itself when its
missing units are allocated (`fillrate.picking.services.
requeue_backordered_fulfillments`). `backorders` may not import `picking`,
so the two are joined here, and every workflow that frees or adds stock
calls `feed_and_requeue` rather than `feed_backorders` (a test in
tests/picking reads the source so no path can forget it)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from fillrate.backorders.feeding import Fed, feed_backorders
from fillrate.backorders.promises import Consumed
from fillrate.picking.services import requeue_backordered_fulfillments


def feed_and_requeue(*, product_ids: Iterable[int], actor_id: int | None = None,
                     cause: str = "", consumed: Sequence[Consumed] = (),
                     changed_backorders: Iterable[int] = (),
                     passed_over: Iterable[int] = ()) -> list[Fed]:
    """`feed_backorders` (same arguments, locks and errors; inside the
    caller's transaction, after the products' stock levels are locked), then
    the fulfillments waiting on these products whose missing units are now
    all allocated go back to the pick queue (`FulfillmentQueued`). Returns
    what the feed gave."""
    ids = sorted(set(product_ids))
    fed = feed_backorders(product_ids=ids, actor_id=actor_id, cause=cause, consumed=consumed,
                          changed_backorders=changed_backorders, passed_over=passed_over)
    if ids:
        requeue_backordered_fulfillments(product_ids=ids, actor_id=actor_id)
    return fed

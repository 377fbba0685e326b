"""Changing the business settings. A new `allocation_policy` ranks waiting
backorder lines differently, so the promises of every product with open
purchase-order supply are rebuilt in the same transaction."""

from __future__ import annotations

from django.db import transaction

from fillrate.backorders.feeding import repromise
from fillrate.backorders.promises import supplied_products
from fillrate.core.business import BusinessSettings, business_settings, change_settings
from fillrate.core.retry import retry_on_lock_conflict
from fillrate.inventory.locks import lock_stock_levels


@retry_on_lock_conflict
def change_business_settings(*, changes: dict, actor_id: int | None = None) -> BusinessSettings:
    """`fillrate.core.business.change_settings` (its validation, errors and
    events); when the allocation policy changes, promises follow (the
    products' stock levels are locked first, as for any rebuild)."""
    with transaction.atomic():
        before = business_settings().allocation_policy
        changed = change_settings(changes=changes, actor_id=actor_id)
        if changed.allocation_policy != before:
            products = sorted(supplied_products())
            lock_stock_levels(product_ids=products)
            repromise(product_ids=products, actor_id=actor_id, cause="allocation_policy")
    return changed

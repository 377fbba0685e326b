"""The weekly max-age review (seed 003): active backorders open longer than
`max_backorder_age_days`, with what a person needs to decide -- the last
contact with the customer, the expected date and what is coming in for its
products. The decisions themselves (contact logged, re-dated, cancelled for
`excessive_delay`) are the backorders' own services."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import F, Min, Sum
from django.utils import timezone

from fillrate.backorders.models import Backorder, BackorderLine, Communication
from fillrate.backorders.selectors import BackorderFilters, backorders
from fillrate.core.business import business_settings
from fillrate.purchasing import lifecycle as po_lifecycle
from fillrate.purchasing.models import PurchaseOrderLine

PAGE_ROWS = 200


@dataclass(frozen=True)
class ReviewRow:
    backorder: Backorder
    age_days: int
    last_contact: Communication | None
    incoming: int  # units outstanding on ordered purchase orders of its products
    next_receipt: dt.date | None


@dataclass(frozen=True)
class Review:
    max_age_days: int
    count: int
    rows: list[ReviewRow]


def max_age_review(*, now: dt.datetime | None = None, limit: int = PAGE_ROWS) -> Review:
    """Oldest first; `over_max_age` as the backorder list flags it (whole
    days open > the setting). The facts for the first `limit` rows come in
    three more statements, whatever the count."""
    now = now or timezone.now()
    max_age = business_settings().max_backorder_age_days
    qs = backorders(BackorderFilters(status="active")).filter(
        created_at__lte=now - dt.timedelta(days=max_age + 1))
    page = list(qs[:limit])
    ids = [b.id for b in page]
    last: dict[int, Communication] = {}
    for c in Communication.objects.filter(backorder_id__in=ids).order_by("backorder_id", "-id"):
        last.setdefault(c.backorder_id, c)
    products: dict[int, set[int]] = {}
    for bo_id, product_id in BackorderLine.objects.filter(
            backorder_id__in=ids).exclude(quantity=F("fulfilled") + F("cancelled")).values_list(
            "backorder_id", "product_id"):
        products.setdefault(bo_id, set()).add(product_id)
    all_products = set().union(*products.values()) if products else set()
    supply = {
        r["product_id"]: r for r in PurchaseOrderLine.objects.filter(
            product_id__in=all_products, purchase_order__status__in=po_lifecycle.OPEN,
            quantity__gt=F("received") + F("cancelled"))
        .values("product_id").annotate(units=Sum(F("quantity") - F("received") - F("cancelled")),
                                       first=Min("purchase_order__expected_date"))}
    rows = []
    for b in page:
        mine = [supply[p] for p in products.get(b.id, ()) if p in supply]
        rows.append(ReviewRow(
            backorder=b, age_days=(now - b.created_at).days, last_contact=last.get(b.id),
            incoming=sum(s["units"] for s in mine),
            next_receipt=min((s["first"] for s in mine), default=None)))
    return Review(max_age_days=max_age, count=qs.count(), rows=rows)

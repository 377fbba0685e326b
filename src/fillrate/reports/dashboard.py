"""The supervisors' landing page in figures: what is owed, what is late,
what can ship, who is due a call, and how well orders were filled lately."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from fillrate.backorders import lifecycle
from fillrate.backorders.models import Backorder, BackorderLine, Communication
from fillrate.backorders.selectors import BackorderFilters, backorders
from fillrate.core.business import business_settings
from fillrate.core.sql import fetch, table
from fillrate.fulfilment import lifecycle as ff_lifecycle
from fillrate.fulfilment.models import Fulfillment, FulfillmentLine
from fillrate.orders.models import OrderStatus, SalesOrder
from fillrate.reports.backlog import (
    Aging,
    ProductRow,
    Timeline,
    aging_and_timeline,
    backorders_by_product,
)
from fillrate.reports.fill_rate import FillRateReport, fill_rate, period_for
from fillrate.reports.scope import ACTIVE_SQL

TOP_PRODUCTS = 10


def follow_ups_due(*, today: dt.date | None = None) -> QuerySet[Backorder]:
    """Active backorders whose latest communication asks for a follow-up on
    or before `today`, annotated like the backorder list, oldest first."""
    today = today or timezone.localdate()
    later = Communication.objects.filter(backorder_id=OuterRef("backorder_id"),
                                         id__gt=OuterRef("id"))
    due = (Communication.objects.filter(next_follow_up__lte=today)
           .exclude(Exists(later)).values("backorder_id"))
    return backorders(BackorderFilters(status="active")).filter(id__in=due)


def ready_to_fulfil(*, partial_shipments: bool) -> int:
    """How many backorders the fulfillable page lists
    (`fulfilment.selectors.fulfillable_backorders`, tested against it):
    active (only `ready` ones with partial shipments off) with allocated
    units on no pending fulfillment, whose order is not on hold. Set-based
    from the few lines holding stock, where the page's query tests every
    active backorder; the lines holding units come from their partial
    index (`backorder_line_held`), as the page's do."""
    statuses = ACTIVE_SQL if partial_shipments else f"'{lifecycle.READY}'"
    pending = ", ".join(f"'{s}'" for s in sorted(ff_lifecycle.PENDING))
    ((n,),) = fetch(f"""
        SELECT COUNT(DISTINCT bl.backorder_id)
        FROM {table(BackorderLine)} bl
        JOIN {table(Backorder)} b ON b.id = bl.backorder_id
        JOIN {table(SalesOrder)} o ON o.id = b.order_id
        WHERE bl.allocated > 0 AND b.status IN ({statuses})
          AND o.status <> '{OrderStatus.ON_HOLD}'
          AND bl.allocated > COALESCE((
              SELECT SUM(fl.quantity) FROM {table(FulfillmentLine)} fl
              JOIN {table(Fulfillment)} f ON f.id = fl.fulfillment_id
              WHERE fl.backorder_line_id = bl.id AND f.status IN ({pending})), 0)""")
    return n


@dataclass(frozen=True)
class Dashboard:
    aging: Aging
    timeline: Timeline
    ready_to_fulfil: int
    follow_ups_due: int
    fill_rate: FillRateReport
    fill_rate_before: FillRateReport
    top_products: list[ProductRow]


def dashboard(*, now: dt.datetime | None = None) -> Dashboard:
    """Every figure for all customers (the rep and customer pages scope the reports)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    period = period_for(today=today)
    settings = business_settings()
    aging, coming = aging_and_timeline(now=now)
    return Dashboard(
        aging=aging,
        timeline=coming,
        ready_to_fulfil=ready_to_fulfil(partial_shipments=settings.partial_shipments),
        follow_ups_due=follow_ups_due(today=today).count(),
        fill_rate=fill_rate(period=period),
        fill_rate_before=fill_rate(period=period.previous()),
        top_products=backorders_by_product(now=now)[:TOP_PRODUCTS],
    )


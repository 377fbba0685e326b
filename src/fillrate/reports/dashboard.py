"""The supervisors' landing page in figures: what is owed, what is late,
what can ship, who is due a call, and how well orders were filled lately."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from fillrate.backorders.models import Backorder, Communication
from fillrate.backorders.selectors import BackorderFilters, backorders
from fillrate.core.business import business_settings
from fillrate.fulfilment.selectors import fulfillable_backorders
from fillrate.reports.backlog import (
    Aging,
    ProductRow,
    Timeline,
    backorder_aging,
    backorders_by_product,
    timeline,
)
from fillrate.reports.fill_rate import FillRateReport, fill_rate, period_for

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
    return Dashboard(
        aging=backorder_aging(now=now),
        timeline=timeline(today=today),
        ready_to_fulfil=fulfillable_backorders(
            partial_shipments=settings.partial_shipments).count(),
        follow_ups_due=follow_ups_due(today=today).count(),
        fill_rate=fill_rate(period=period),
        fill_rate_before=fill_rate(period=period.previous()),
        top_products=backorders_by_product(now=now)[:TOP_PRODUCTS],
    )


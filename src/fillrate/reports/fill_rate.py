"""Fill rate: how much of what customers ordered left in the order's first
shipment, and how long the rest waited. The definitions (README, "Reports"):

- An order is *counted* when it was placed in the period and its outcome is
  known: its first shipment has been dispatched, or nothing of its own is
  left to ship (no units held for its lines) and its shortfall went on a
  backorder -- even if that backorder (or the order) was cancelled since.
  Orders still waiting for their first shipment are `pending`; orders
  cancelled before anything shipped or was backordered are not counted.
- The *first shipment* is the order's earliest dispatched fulfillment (by
  dispatch time, then number), whether it was dispatched at once or went
  through pick runs and the issues wall. Only its units that are the order's
  own count; units of a backorder never count as filled first time.
- unit fill rate = units in first shipments / units ordered;
  line fill rate = lines whose first-shipment units cover the line / lines;
  order fill rate = orders all of whose lines did / orders;
  backorder rate = orders with a backorder / orders.
- days to fill: for each backorder line filled in the period (its last unit
  dispatched then, nothing of it left open), whole days from the backorder's
  creation to that dispatch; the mean and the nearest-rank 90th percentile.
- cancellations: backorders cancelled in the period by reason (backorders,
  and units cancelled on their lines).

`by` breaks every figure down per product (an order counts for each product
on it; "complete" is still the whole order), customer or sales rep.

The per-order and per-line figures are computed in `outcomes` (the one
place these definitions are SQL) and stored; this module sums the stored
rows of a period after bringing them up to date.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils import timezone

from fillrate.backorders.models import Backorder, BackorderLine, CancelReason
from fillrate.core.errors import InvalidValue
from fillrate.core.sql import fetch, table
from fillrate.reports import figures, outcomes
from fillrate.reports.models import FilledLine, LineOutcome, OrderOutcome
from fillrate.reports.scope import (
    EVERYTHING,
    Scope,
    key_sql,
    labels,
    reporting,
    whole_days_sql,
)

MAX_PERIOD_DAYS = 366 * 3


@dataclass(frozen=True)
class Period:
    start: dt.date
    end: dt.date  # inclusive

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def bounds(self) -> tuple[dt.datetime, dt.datetime]:
        """[start of the first day, start of the day after the last) in local time."""
        tz = timezone.get_current_timezone()
        return (dt.datetime.combine(self.start, dt.time.min, tzinfo=tz),
                dt.datetime.combine(self.end + dt.timedelta(days=1), dt.time.min, tzinfo=tz))

    def previous(self) -> Period:
        return Period(self.start - dt.timedelta(days=self.days),
                      self.start - dt.timedelta(days=1))


def period_for(*, start: dt.date | None = None, end: dt.date | None = None,
               today: dt.date | None = None) -> Period:
    """Default: the 30 days ending today. 422 naming the field for a period
    that ends before it starts or is longer than three years."""
    today = today or timezone.localdate()
    end = end or today
    start = start or end - dt.timedelta(days=29)
    if end < start:
        raise InvalidValue("reports.invalid_period", "to is before from", field="to")
    if (end - start).days >= MAX_PERIOD_DAYS:
        raise InvalidValue("reports.invalid_period", "a period is at most three years",
                           field="from")
    return Period(start, end)


@dataclass
class FillRate:
    key: object = None
    code: str = ""
    name: str = ""
    orders: int = 0
    orders_complete: int = 0
    orders_backordered: int = 0
    lines: int = 0
    lines_complete: int = 0
    units_ordered: int = 0
    units_first_shipment: int = 0
    days_to_fill: dict[int, int] = field(default_factory=dict)
    cancellations: dict[str, dict[str, int]] = field(default_factory=dict)

    @property
    def unit_fill_rate(self) -> Decimal | None:
        return figures.ratio(self.units_first_shipment, self.units_ordered)

    @property
    def line_fill_rate(self) -> Decimal | None:
        return figures.ratio(self.lines_complete, self.lines)

    @property
    def order_fill_rate(self) -> Decimal | None:
        return figures.ratio(self.orders_complete, self.orders)

    @property
    def backorder_rate(self) -> Decimal | None:
        return figures.ratio(self.orders_backordered, self.orders)

    @property
    def backorder_lines_filled(self) -> int:
        return sum(self.days_to_fill.values())

    @property
    def avg_days_to_fill(self) -> Decimal | None:
        return figures.mean(self.days_to_fill)

    @property
    def p90_days_to_fill(self) -> int | None:
        return figures.percentile(self.days_to_fill, 90)


@dataclass
class FillRateReport:
    period: Period
    by: str | None
    total: FillRate
    pending_orders: int
    groups: list[FillRate]


def fill_rate(*, period: Period, by: str | None = None,
              scope: Scope = EVERYTHING) -> FillRateReport:
    outcomes.refresh()
    with reporting():
        return _fill_rate(period, by, scope)


def _fill_rate(period: Period, by: str | None, scope: Scope,
               days: bool = True) -> FillRateReport:
    start, end = period.bounds()
    groups: dict[object, FillRate] = {}

    def group(k) -> FillRate:
        return groups.setdefault(k, FillRate(key=k))

    pending = 0
    for (k, lines, units, first_units, lines_complete, orders, complete, backordered,
         pending_orders) in _order_rows(start, end, by, scope):
        if pending_orders:
            pending += pending_orders
            continue
        g = group(k)
        g.lines += lines or 0
        g.units_ordered += units or 0
        g.units_first_shipment += first_units or 0
        g.lines_complete += lines_complete or 0
        g.orders += orders or 0
        g.orders_complete += complete or 0
        g.orders_backordered += backordered or 0
    for k, whole_days, n in _days_to_fill_rows(start, end, by, scope) if days else ():
        g = group(k)
        whole_days = int(whole_days)
        g.days_to_fill[whole_days] = g.days_to_fill.get(whole_days, 0) + n
    for k, reason, n, units in _cancellation_rows(start, end, by, scope):
        group(k).cancellations[reason] = {"backorders": n, "units": units or 0}

    if by is None:
        return FillRateReport(period, None, groups.get(0, FillRate()), pending, [])
    # An order counts once per product on it, so per product the totals are
    # counted again; an order, a backorder and its lines have one customer
    # (one rep), so per customer or rep the groups add up to the totals.
    if by == "product":
        total = _fill_rate(period, None, scope, days=False).total
        # a backorder line has one product: its days add up across products
        total.days_to_fill = _sum(groups.values()).days_to_fill
    else:
        total = _sum(groups.values())
    names = labels(by, set(groups))
    for k, g in groups.items():
        g.code, g.name = names.get(k, ("", "(none)"))
    ordered = sorted(groups.values(), key=lambda g: (-g.units_ordered, g.code))
    return FillRateReport(period, by, total, pending, ordered)


def _sum(groups) -> FillRate:
    total = FillRate()
    for g in groups:
        for name in ("orders", "orders_complete", "orders_backordered", "lines",
                     "lines_complete", "units_ordered", "units_first_shipment"):
            setattr(total, name, getattr(total, name) + getattr(g, name))
        for days, n in g.days_to_fill.items():
            total.days_to_fill[days] = total.days_to_fill.get(days, 0) + n
        for reason, cell in g.cancellations.items():
            kept = total.cancellations.setdefault(reason, {"backorders": 0, "units": 0})
            kept["backorders"] += cell["backorders"]
            kept["units"] += cell["units"]
    return total


def _order_rows(start, end, by, scope: Scope):
    """From the stored outcomes (`outcomes`): counted orders grouped, and
    one row of the period's orders still waiting for their first shipment."""
    where, params = scope.where("oc.customer_id")
    line_where, _ = scope.where("l.customer_id")
    if by == "product":
        # An order names a product once: one line per (product, order).
        grouped = f"""SELECT l.product_id AS k, COUNT(*), SUM(l.quantity), SUM(l.first_units),
               SUM(CASE WHEN l.first_units >= l.quantity THEN 1 ELSE 0 END), COUNT(*),
               SUM(l.order_complete), SUM(l.backordered), 0
        FROM {table(LineOutcome)} l
        WHERE l.created_at >= %s AND l.created_at < %s AND l.counted = 1{line_where}
        GROUP BY 1"""
    else:
        key, join = key_sql(by, customer_col="oc.customer_id", product_col="")
        grouped = f"""SELECT {key} AS k, SUM(oc.lines), SUM(oc.units), SUM(oc.first_units),
               SUM(oc.lines_complete), COUNT(*), SUM(oc.complete), SUM(oc.backordered), 0
        FROM {table(OrderOutcome)} oc{join}
        WHERE oc.created_at >= %s AND oc.created_at < %s AND oc.counted = 1{where}
        GROUP BY 1"""
    return fetch(f"""
        {grouped}
        UNION ALL
        SELECT NULL, 0, 0, 0, 0, 0, 0, 0, COUNT(*) FROM {table(OrderOutcome)} oc
        WHERE oc.created_at >= %s AND oc.created_at < %s
              AND oc.counted = 0 AND oc.cancelled = 0{where}""",
        [start, end, *params, start, end, *params])


def _days_to_fill_rows(start, end, by, scope: Scope):
    """From the filled lines kept with the outcomes (`outcomes`): those whose
    last unit was dispatched in the period."""
    where, params = scope.where("d.customer_id")
    key, join = key_sql(by, customer_col="d.customer_id", product_col="d.product_id")
    days = whole_days_sql("d.filled_at", "d.created_at")
    return fetch(f"""
        SELECT {key} AS k, {days} AS days, COUNT(*) FROM {table(FilledLine)} d{join}
        WHERE d.filled_at >= %s AND d.filled_at < %s{where}
        GROUP BY 1, 2""", [start, end, *params])


def _cancellation_rows(start, end, by, scope: Scope):
    where, params = scope.where("b.customer_id")
    key, join = key_sql(by, customer_col="b.customer_id", product_col="bl.product_id")
    return fetch(f"""
        SELECT {key} AS k, b.cancel_reason, COUNT(DISTINCT b.id), SUM(bl.cancelled)
        FROM {table(Backorder)} b JOIN {table(BackorderLine)} bl ON bl.backorder_id = b.id{join}
        WHERE b.status = 'cancelled' AND b.cancelled_at >= %s AND b.cancelled_at < %s{where}
        GROUP BY 1, 2""", [start, end, *params])


CANCEL_REASONS = [r.value for r in CancelReason]

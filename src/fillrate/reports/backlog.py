"""What is owed: backorder aging, backorders by product and the timeline.

"Open" units are the units of active backorders (`open`, `ready`,
`partially_fulfilled`) not yet fulfilled or cancelled -- the backorder list's
`open_quantity`; "waiting" units are those of them no stock is held for yet.
Value is open units at the lines' locked prices. Each report is one or two
grouped statements; Python only folds the grouped rows.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils import timezone

from fillrate.backorders.models import Backorder, BackorderLine, ProductBacklog, ProductDayBacklog
from fillrate.catalog.models import Product
from fillrate.core.errors import InvalidValue
from fillrate.core.sql import as_money, fetch, in_list, table
from fillrate.inventory.models import SELLABLE_KINDS, Location, StockLevel
from fillrate.purchasing import lifecycle as po_lifecycle
from fillrate.purchasing.models import PurchaseOrder, PurchaseOrderLine
from fillrate.reports import figures
from fillrate.reports.scope import (
    EVERYTHING,
    OPEN_UNITS,
    WAITING_UNITS,
    Scope,
    key_sql,
    labels,
    open_lines_from,
    reporting,
)

ZERO = Decimal("0.00")
OPEN_PO_SQL = ", ".join(f"'{s}'" for s in sorted(po_lifecycle.OPEN))
OUTSTANDING = ("CASE WHEN pl.quantity - pl.received - pl.cancelled > 0 "
               "THEN pl.quantity - pl.received - pl.cancelled ELSE 0 END")


@dataclass
class Cell:
    backorders: int = 0
    units: int = 0
    value: Decimal = ZERO

    def add(self, backorders: int, units: int, value: Decimal) -> None:
        self.backorders += backorders
        self.units += units
        self.value += value

    def as_dict(self) -> dict:
        return {"backorders": self.backorders, "units": self.units, "value": self.value}


@dataclass
class AgingGroup:
    key: object
    code: str
    name: str
    buckets: dict[str, Cell] = field(
        default_factory=lambda: {b.key: Cell() for b in figures.AGE_BUCKETS})
    total: Cell = field(default_factory=Cell)


@dataclass
class Aging:
    as_of: dt.datetime
    by: str | None
    buckets: dict[str, Cell]
    total: Cell
    groups: list[AgingGroup]


def backorder_aging(*, by: str | None = None, scope: Scope = EVERYTHING,
                    now: dt.datetime | None = None) -> Aging:
    """Open backorders by age (whole days since created, as the list shows):
    count, open units and value per bucket, with totals; `by` breaks each
    bucket down. A backorder with lines of several products counts once in
    each product's row, once in the totals.

    Counts come from the backorders alone (an active backorder always has
    open units: its status follows its lines) -- or, per product, from its
    lines (a backorder has one line per product: an order names a SKU once)
    -- so no statement needs COUNT(DISTINCT), which sorts every line."""
    now = now or timezone.now()
    with reporting():
        return _aging(by, scope, now)


BUCKET_KEYS = [b.key for b in figures.AGE_BUCKETS]


def _bucket_case(now: dt.datetime) -> tuple[str, list]:
    """The bucket's position as an integer: grouping on text would sort
    half a million strings by collation where integers hash."""
    thresholds = figures.age_thresholds(now)
    case = "CASE " + " ".join(f"WHEN b.created_at > %s THEN {i}"
                              for i, _ in enumerate(thresholds))
    return case + f" ELSE {len(thresholds)} END", [t for _, t in thresholds]


def _aging(by: str | None, scope: Scope, now: dt.datetime) -> Aging:
    if by == "product":
        rows = _pivot(aging_by_product_days(now) if scope == EVERYTHING
                      else aging_by_product_lines(scope, now))
    else:
        rows = _pivot(_aging_per_backorder(by, scope, now))
    buckets = {key: Cell() for key in BUCKET_KEYS}
    groups = []
    names = labels(by, set(rows))
    for k, figures_ in rows.items():
        cells = [Cell(figures_[i] or 0, figures_[i + 1] or 0, as_money(figures_[i + 2]))
                 for i in range(0, len(figures_), 3)]
        if by != "product":
            # A backorder has one customer (and so one rep): its group's
            # cells add up to the totals.
            for key, cell in zip(BUCKET_KEYS, cells, strict=True):
                buckets[key].add(cell.backorders, cell.units, cell.value)
        if by is None:
            continue
        code, name = names.get(k, ("", "(none)"))
        total = Cell(sum(c.backorders for c in cells), sum(c.units for c in cells),
                     sum((c.value for c in cells), ZERO))
        groups.append(AgingGroup(k, code, name, dict(zip(BUCKET_KEYS, cells, strict=True)),
                                 total))
    if by == "product":
        # Totals count each backorder once, not once per product.
        buckets = _aging(None, scope, now).buckets
    total = Cell()
    for cell in buckets.values():
        total.add(cell.backorders, cell.units, cell.value)
    groups.sort(key=lambda g: (-g.total.value, g.code))
    return Aging(as_of=now, by=by, buckets=buckets, total=total, groups=groups)


def _aging_per_backorder(by: str | None, scope: Scope, now: dt.datetime) -> list[tuple]:
    """(key, bucket, backorders, units, value) from the totals kept on each
    backorder (`backorders.totals`). Per customer, grouped customer first
    and in customer order: PostgreSQL then streams the open-backorders
    index (customer, created) instead of hashing half a million rows."""
    case, case_params = _bucket_case(now)
    key, join = key_sql(by, customer_col="b.customer_id", product_col="")
    where, params = scope.where("b.customer_id")
    rows = fetch(
        f"SELECT {key} AS k, {case} AS bucket, COUNT(*), SUM(b.open_units), "
        f"SUM(b.open_value) FROM {table(Backorder)} b{join} "
        f"WHERE b.open_units > 0{where} GROUP BY 1, 2"
        + (" ORDER BY 1" if by == "customer" else ""), case_params + params)
    return rows


def _pivot(rows: list[tuple]) -> dict[object, list]:
    """(key, bucket, n, units, value) rows as {key: backorders, units and
    value for each bucket}."""
    out: dict[object, list] = {}
    for k, bucket, n, units, value in rows:
        figures_ = out.get(k)
        if figures_ is None:
            figures_ = out[k] = [0, 0, ZERO] * len(BUCKET_KEYS)
        at = 3 * bucket
        figures_[at], figures_[at + 1], figures_[at + 2] = n, units, value
    return out


def aging_by_product_lines(scope: Scope, now: dt.datetime) -> list[tuple]:
    """(product, bucket, lines, units, value) from the open lines (one per
    product on a backorder)."""
    case, case_params = _bucket_case(now)
    from_sql, params = open_lines_from(scope)
    return fetch(
        f"SELECT bl.product_id AS k, {case} AS bucket, COUNT(*), SUM({OPEN_UNITS}), "
        f"SUM({OPEN_UNITS} * bl.unit_price) {from_sql} GROUP BY 1, 2", case_params + params)


def aging_by_product_days(now: dt.datetime) -> list[tuple]:
    """`aging_by_product_lines` for everyone, from the per-day totals
    (`ProductDayBacklog`, UTC days): a whole day lies in one bucket; the
    day each bucket boundary falls on is read from its lines."""
    case, case_params = _bucket_case(now)
    cut_days = [t.astimezone(dt.UTC).date() for _, t in figures.age_thresholds(now)]
    day_case = ("CASE " + " ".join(f"WHEN d.day > %s THEN {i}" for i in range(len(cut_days)))
                + f" ELSE {len(cut_days)} END")
    cut_ranges = []
    for day in cut_days:
        start = dt.datetime.combine(day, dt.time.min, tzinfo=dt.UTC)
        cut_ranges += [start, start + dt.timedelta(days=1)]
    on_cut_days = " OR ".join(["(b.created_at >= %s AND b.created_at < %s)"] * len(cut_days))
    return fetch(f"""
        SELECT k, bucket, SUM(n), SUM(units), SUM(value) FROM (
            SELECT d.product_id AS k, {day_case} AS bucket, d.open_lines AS n,
                   d.open_units AS units, d.open_value AS value
            FROM {table(ProductDayBacklog)} d WHERE d.day NOT IN ({in_list(cut_days)})
            UNION ALL
            SELECT bl.product_id, {case}, 1, {OPEN_UNITS}, {OPEN_UNITS} * bl.unit_price
            FROM {table(BackorderLine)} bl JOIN {table(Backorder)} b ON b.id = bl.backorder_id
            WHERE {OPEN_UNITS} > 0 AND ({on_cut_days})) x
        GROUP BY 1, 2""", [*cut_days, *cut_days, *case_params, *cut_ranges])


@dataclass(frozen=True)
class ProductRow:
    sku: str
    name: str
    open_units: int
    waiting_units: int
    backorders: int
    customers: int
    value: Decimal
    on_hand: int
    available: int
    incoming: int
    earliest_receipt: dt.date | None
    shortfall: int
    oldest_age_days: int


PRODUCT_ORDERINGS = {
    "value": lambda r: (-r.value, r.sku),
    "units": lambda r: (-r.open_units, r.sku),
    "shortfall": lambda r: (-r.shortfall, -r.value, r.sku),
    "oldest": lambda r: (-r.oldest_age_days, r.sku),
    "sku": lambda r: r.sku,
}


def backorders_by_product(*, scope: Scope = EVERYTHING, ordering: str = "value",
                          now: dt.datetime | None = None) -> list[ProductRow]:
    """One row per product with open backorder units: what is owed (open and
    waiting units, backorders, customers, value, the oldest one's age) beside
    its stock (on hand; available in sellable locations), what is coming
    (outstanding on ordered purchase orders; the earliest such order's
    expected date) and the shortfall after it: waiting - available -
    incoming, never below zero."""
    if ordering not in PRODUCT_ORDERINGS:
        raise InvalidValue("reports.invalid_ordering",
                           f"ordering is one of {', '.join(PRODUCT_ORDERINGS)}", field="ordering")
    now = now or timezone.now()
    with reporting():
        return sorted(_by_product(scope, now), key=PRODUCT_ORDERINGS[ordering])


def _owed_per_product(scope: Scope) -> tuple[str, list]:
    """Per product: open and waiting units, backorders, customers, value and
    the oldest creation -- for everyone from the totals kept per product
    (`backorders.totals`), for one customer or rep from their lines."""
    if scope == EVERYTHING:
        return (f"""SELECT product_id, open_units, waiting_units AS waiting,
                   open_lines AS backorders, customers, open_value AS value, oldest
            FROM {table(ProductBacklog)} WHERE open_lines > 0""", [])
    from_sql, params = open_lines_from(scope)
    return (f"""SELECT bl.product_id, SUM({OPEN_UNITS}) AS open_units,
                   SUM({WAITING_UNITS}) AS waiting, COUNT(*) AS backorders,
                   COUNT(DISTINCT b.customer_id) AS customers,
                   SUM({OPEN_UNITS} * bl.unit_price) AS value, MIN(b.created_at) AS oldest
            {from_sql} GROUP BY bl.product_id""", params)


def _by_product(scope: Scope, now: dt.datetime) -> list[ProductRow]:
    owed, params = _owed_per_product(scope)
    sellable = ", ".join(f"'{k}'" for k in SELLABLE_KINDS)
    rows = fetch(f"""
        WITH w AS ({owed}),
        s AS (
            SELECT sl.product_id, SUM(sl.on_hand) AS on_hand,
                   SUM(CASE WHEN loc.kind IN ({sellable}) THEN sl.on_hand - sl.allocated
                       ELSE 0 END) AS available
            FROM {table(StockLevel)} sl JOIN {table(Location)} loc ON loc.id = sl.location_id
            WHERE sl.product_id IN (SELECT product_id FROM w) GROUP BY sl.product_id),
        i AS (
            SELECT pl.product_id, SUM({OUTSTANDING}) AS incoming,
                   MIN(CASE WHEN pl.quantity - pl.received - pl.cancelled > 0
                       THEN po.expected_date END) AS earliest
            FROM {table(PurchaseOrderLine)} pl
            JOIN {table(PurchaseOrder)} po ON po.id = pl.purchase_order_id
            WHERE po.status IN ({OPEN_PO_SQL}) AND pl.product_id IN (SELECT product_id FROM w)
            GROUP BY pl.product_id)
        SELECT p.sku, p.name, w.open_units, w.waiting, w.backorders, w.customers, w.value,
               COALESCE(s.on_hand, 0), COALESCE(s.available, 0), COALESCE(i.incoming, 0),
               i.earliest, w.oldest
        FROM w JOIN {table(Product)} p
             ON p.id = w.product_id
        LEFT JOIN s ON s.product_id = w.product_id
        LEFT JOIN i ON i.product_id = w.product_id""", params)
    out = []
    for (sku, name, open_units, waiting, backorders, customers, value, on_hand, available,
         incoming, earliest, oldest) in rows:
        available = max(available, 0)
        out.append(ProductRow(
            sku=sku, name=name, open_units=open_units, waiting_units=waiting,
            backorders=backorders, customers=customers, value=as_money(value),
            on_hand=on_hand, available=available, incoming=incoming,
            earliest_receipt=_as_date(earliest),
            shortfall=max(waiting - available - incoming, 0),
            oldest_age_days=figures.age_days(_as_datetime(oldest), now)))
    return out


@dataclass
class TimelineCell:
    backorders: int = 0
    open_units: int = 0
    waiting_units: int = 0
    value: Decimal = ZERO
    incoming_units: int = 0

    def as_dict(self) -> dict:
        return {"backorders": self.backorders, "open_units": self.open_units,
                "waiting_units": self.waiting_units, "value": self.value,
                "incoming_units": self.incoming_units}


@dataclass
class Timeline:
    today: dt.date
    buckets: dict[str, TimelineCell]
    weeks: list[tuple[dt.date, TimelineCell]]


def timeline(*, scope: Scope = EVERYTHING, today: dt.date | None = None,
             weeks: int = 8) -> Timeline:
    """Open backorders by their expected date (the date the backorder list
    filters on) against purchase-order units outstanding by the orders'
    expected date: in the buckets of `figures.timeline_bucket`, and week by
    week from this week for `weeks` weeks (earlier dates are in `overdue`,
    later ones in the buckets only). Purchase orders are not scoped: stock
    is not bought per customer."""
    today = today or timezone.localdate()
    where, where_params = scope.where("b.customer_id")
    with reporting():
        owed = fetch(
            f"SELECT b.expected_date, COUNT(*), SUM(b.open_units), SUM(b.waiting_units), "
            f"SUM(b.open_value) FROM {table(Backorder)} b WHERE b.open_units > 0{where} "
            "GROUP BY b.expected_date", where_params)
        coming = _incoming_by_date()
    return _timeline(owed, coming, today, weeks)


def _incoming_by_date() -> list[tuple]:
    return fetch(
        f"SELECT po.expected_date, SUM({OUTSTANDING}) FROM {table(PurchaseOrderLine)} pl "
        f"JOIN {table(PurchaseOrder)} po ON po.id = pl.purchase_order_id "
        f"WHERE po.status IN ({OPEN_PO_SQL}) GROUP BY po.expected_date")


def aging_and_timeline(*, now: dt.datetime, weeks: int = 8) -> tuple[Aging, Timeline]:
    """`backorder_aging(now=now)` and `timeline(today=...)` for everyone
    from one pass over the backorders (grouped by age bucket and expected
    date at once): the dashboard shows both."""
    today = timezone.localdate(now)
    case, case_params = _bucket_case(now)
    with reporting():
        rows = fetch(
            f"SELECT {case} AS bucket, b.expected_date, COUNT(*), SUM(b.open_units), "
            f"SUM(b.waiting_units), SUM(b.open_value) FROM {table(Backorder)} b "
            "WHERE b.open_units > 0 GROUP BY 1, 2", case_params)
        coming = _incoming_by_date()
    buckets = {b.key: Cell() for b in figures.AGE_BUCKETS}
    by_date: dict[object, list] = {}
    for bucket, day, n, open_units, waiting, value in rows:
        buckets[BUCKET_KEYS[bucket]].add(n, open_units, as_money(value))
        kept = by_date.setdefault(day, [day, 0, 0, 0, ZERO])
        kept[1] += n
        kept[2] += open_units
        kept[3] += waiting
        kept[4] += as_money(value)
    total = Cell()
    for cell in buckets.values():
        total.add(cell.backorders, cell.units, cell.value)
    aging = Aging(as_of=now, by=None, buckets=buckets, total=total, groups=[])
    return aging, _timeline(list(by_date.values()), coming, today, weeks)


def _timeline(owed: list, coming: list, today: dt.date, weeks: int) -> Timeline:
    buckets = {k: TimelineCell() for k, _ in figures.TIMELINE_BUCKETS}
    first_week = figures.week_start(today)
    series = {first_week + dt.timedelta(days=7 * i): TimelineCell() for i in range(weeks)}
    for day, n, open_units, waiting, value in owed:
        day = _as_date(day)
        for cell in _cells(buckets, series, day, today):
            cell.backorders += n
            cell.open_units += open_units
            cell.waiting_units += waiting
            cell.value += as_money(value)
    for day, units in coming:
        day = _as_date(day)
        for cell in _cells(buckets, series, day, today):
            if units:
                cell.incoming_units += units
    return Timeline(today=today, buckets=buckets, weeks=list(series.items()))


def _cells(buckets, series, day, today):
    yield buckets[figures.timeline_bucket(day, today)]
    if day is not None and day >= today:
        week = series.get(figures.week_start(day))
        if week is not None:
            yield week


def _as_date(value) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))


def _as_datetime(value) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value if timezone.is_aware(value) else timezone.make_aware(value, dt.UTC)
    parsed = dt.datetime.fromisoformat(str(value))
    return parsed if timezone.is_aware(parsed) else parsed.replace(tzinfo=dt.UTC)

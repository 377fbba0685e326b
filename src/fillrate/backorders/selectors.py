"""Read queries over backorders: the list with its filters and flags, the
detail view, and product figures that include what is backordered."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import (
    DecimalField,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from fillrate.backorders import aging, lifecycle
from fillrate.backorders.models import (
    Backorder,
    BackorderLine,
    Communication,
    Promise,
)
from fillrate.backorders.services import backorder_id
from fillrate.catalog.models import Product
from fillrate.core.counting import Counted, estimated_counts
from fillrate.core.errors import InvalidValue, NotFound
from fillrate.inventory.selectors import products_with_stock
from fillrate.purchasing.selectors import incoming_quantity

EXPECTED_BUCKETS = ("overdue", "this_week", "next_week", "later", "none")
ORDERINGS = {
    "created": ("created_at", "id"), "-created": ("-created_at", "-id"),
    "expected_date": (F("expected_date").asc(nulls_last=True), "id"),
    "-expected_date": (F("expected_date").desc(nulls_last=True), "-id"),
    # High first: 'high' sorts before 'normal' (the only two values, held by
    # a CHECK), so the (priority, created_at, id) index gives the order.
    "priority": ("priority", "created_at", "id"),
    "-priority": ("-priority", "-created_at", "-id"),
}

OPEN_QTY = F("quantity") - F("fulfilled") - F("cancelled")


def products_with_figures(**filters) -> QuerySet[Product]:
    """`products_with_stock` plus `backordered`: units on active backorders
    not yet fulfilled or cancelled, and `incoming`: units outstanding on open
    purchase orders. The one place product figures are made."""
    backordered = (
        BackorderLine.objects.filter(product_id=OuterRef("pk"),
                                     backorder__status__in=lifecycle.ACTIVE)
        .values("product_id").annotate(n=Sum(OPEN_QTY)).values("n")[:1]
    )
    return products_with_stock(**filters).annotate(
        backordered=Coalesce(Subquery(backordered, output_field=IntegerField()), Value(0)),
        incoming=incoming_quantity())


def product_figures(sku: str) -> Product:
    product = products_with_figures().filter(sku__iexact=sku.strip()).first()
    if product is None:
        raise NotFound("catalog.unknown_sku", f"no product with SKU {sku!r}", field="sku")
    return product


def week_bounds(today: dt.date) -> tuple[dt.date, dt.date, dt.date]:
    """Monday of this week, of next week, and of the week after."""
    monday = today - dt.timedelta(days=today.weekday())
    return monday, monday + dt.timedelta(days=7), monday + dt.timedelta(days=14)


@dataclass(frozen=True)
class BackorderFilters:
    status: str | None = None
    customer: str | None = None
    sku: str | None = None
    sales_rep: str | None = None
    priority: str | None = None
    expected: str | None = None
    fulfillable: bool | None = None
    ordering: str = "created"
    age: str | None = None  # an aging bucket (`aging.BUCKET_KEYS`): active backorders only
    # "due": active backorders whose next follow-up is today or earlier,
    # oldest follow-up date first (overrides `ordering`)
    follow_up: str | None = None


FOLLOW_UP_FILTERS = ("due",)


def _contacts():
    return Communication.objects.filter(backorder_id=OuterRef("pk")).order_by("-id")


def last_contact_at():
    """The time of a backorder's latest communication, as an annotation."""
    return Subquery(_contacts().values("created_at")[:1])


def with_contacts(qs: QuerySet[Backorder]) -> QuerySet[Backorder]:
    """Backorders annotated with `last_contact_at` and `next_follow_up`
    (for the list pages; exports and reports leave them out)."""
    if "next_follow_up" in qs.query.annotations:
        return qs
    return qs.annotate(last_contact_at=last_contact_at(), next_follow_up=next_follow_up())


def follow_up_of(newest_first) -> dt.date | None:
    """`next_follow_up` over a backorder's communications already loaded."""
    for c in newest_first:
        if c.next_follow_up is not None or c.created_by_id is not None:
            return c.next_follow_up
    return None


def next_follow_up():
    """A backorder's next follow-up date, as an annotation: the date its
    latest contact logged by a person, or latest contact that set a date,
    asked for. A person's contact without a date ends the pending follow-up;
    a message the system sent or the customer's link choice (no person
    logged them) leaves it."""
    relevant = _contacts().filter(Q(next_follow_up__isnull=False)
                                  | Q(created_by__isnull=False))
    return Subquery(relevant.values("next_follow_up")[:1])


def _line_sum(expression, **filters):
    lines = BackorderLine.objects.filter(backorder_id=OuterRef("pk"), **filters)
    return Subquery(lines.values("backorder_id").annotate(n=Sum(expression)).values("n")[:1])


def backorders(filters: BackorderFilters, *,
               today: dt.date | None = None) -> QuerySet[Backorder]:
    """Backorders annotated with `open_quantity`, `allocated_quantity`,
    `value` (open units at locked prices) and `is_high`, filtered and ordered.
    Unknown filter values are 422 naming the parameter. `fulfillable` needs
    to know what is already on a fulfillment: it is applied by
    `fillrate.fulfilment.selectors.filtered_backorders`, which lists with it."""
    today = today or timezone.localdate()
    money = DecimalField(max_digits=14, decimal_places=2)
    qs = Backorder.objects.select_related("customer", "customer__sales_rep", "order").annotate(
        open_quantity=Coalesce(_line_sum(OPEN_QTY), Value(0)),
        allocated_quantity=Coalesce(_line_sum(F("allocated")), Value(0)),
        value=Coalesce(
            _line_sum(ExpressionWrapper(OPEN_QTY * F("unit_price"), output_field=money)),
            Value(0), output_field=money),
        is_high=ExpressionWrapper(Q(priority="high"), output_field=IntegerField()),
    )
    f = filters
    if f.status:
        if f.status not in lifecycle.TRANSITIONS and f.status != "active":
            raise InvalidValue("backorders.invalid_filter", f"unknown status {f.status!r}",
                               field="status")
        qs = qs.filter(status__in=lifecycle.ACTIVE) if f.status == "active" else qs.filter(
            status=f.status)
    if f.customer:
        qs = qs.filter(customer__code=f.customer)
    if f.sales_rep:
        qs = qs.filter(customer__sales_rep__code=f.sales_rep)
    if f.priority:
        if f.priority not in ("normal", "high"):
            raise InvalidValue("backorders.invalid_filter", "priority is normal or high",
                               field="priority")
        qs = qs.filter(priority=f.priority)
    if f.sku:
        qs = qs.filter(Exists(BackorderLine.objects.filter(backorder_id=OuterRef("pk"),
                                                           product__sku__iexact=f.sku)))
    if f.expected:
        this_monday, next_monday, after = week_bounds(today)
        buckets = {
            "overdue": Q(expected_date__lt=today),
            "this_week": Q(expected_date__gte=max(today, this_monday),
                           expected_date__lt=next_monday),
            "next_week": Q(expected_date__gte=next_monday, expected_date__lt=after),
            "later": Q(expected_date__gte=after),
            "none": Q(expected_date__isnull=True),
        }
        if f.expected not in buckets:
            raise InvalidValue("backorders.invalid_filter",
                               f"expected is one of {', '.join(EXPECTED_BUCKETS)}",
                               field="expected")
        # a promise date is about units still owed: every bucket, like
        # `overdue`, lists active backorders only
        qs = qs.filter(buckets[f.expected], status__in=lifecycle.ACTIVE)
    if f.age:
        if f.age not in aging.BUCKET_KEYS:
            raise InvalidValue("backorders.invalid_filter",
                               f"age is one of {', '.join(aging.BUCKET_KEYS)}", field="age")
        after, at_or_before = aging.created_range(f.age, timezone.now())
        qs = qs.filter(status__in=lifecycle.ACTIVE)
        if after is not None:
            qs = qs.filter(created_at__gt=after)
        if at_or_before is not None:
            qs = qs.filter(created_at__lte=at_or_before)
    if f.fulfillable is not None:
        raise ValueError("fulfillable is applied by filtered_backorders (fulfilment)")
    if f.ordering not in ORDERINGS:
        raise InvalidValue("backorders.invalid_ordering",
                           f"ordering is one of {', '.join(ORDERINGS)}", field="ordering")
    if f.follow_up:
        if f.follow_up not in FOLLOW_UP_FILTERS:
            raise InvalidValue("backorders.invalid_filter",
                               f"follow_up is one of {', '.join(FOLLOW_UP_FILTERS)}",
                               field="follow_up")
        return with_contacts(qs).filter(status__in=lifecycle.ACTIVE,
                                        next_follow_up__lte=today).order_by(
            "next_follow_up", "id")
    return qs.order_by(*ORDERINGS[f.ordering])


def status_counts() -> dict[str, int]:
    return {k: c.n for k, c in counted_statuses().items()}


def counted_statuses() -> dict[str, Counted]:
    """Backorders per status: exact on a small table, the planner's
    estimates on a large one (`fillrate.core.counting`; a million
    backorders take a full scan to count, no index names `status`)."""
    return estimated_counts(Backorder.objects.all(), "status", list(lifecycle.TRANSITIONS))


@dataclass(frozen=True)
class RowFlags:
    age_days: int
    high: bool
    vip: bool
    oldest: bool
    over_max_age: bool

    def names(self) -> list[str]:
        return [n for n in ("high", "vip", "oldest", "over_max_age") if getattr(self, n)]


def row_flags(rows: list[Backorder], *, max_age_days: int,
              now: dt.datetime | None = None) -> dict[int, RowFlags]:
    """Flags for a page of rows, in two queries: `oldest` means first in line
    (oldest active backorder) for at least one of its products."""
    now = now or timezone.now()
    ids = [r.id for r in rows]
    products_of: dict[int, set[int]] = {}
    for bo_id, product_id in BackorderLine.objects.filter(backorder_id__in=ids).values_list(
            "backorder_id", "product_id"):
        products_of.setdefault(bo_id, set()).add(product_id)
    all_products = set().union(*products_of.values()) if products_of else set()
    # Per product, the first active backorder along its (product, backorder)
    # index: a few index entries each, where MIN over all its lines read them all.
    first = (BackorderLine.objects.filter(product_id=OuterRef("pk"),
                                          backorder__status__in=lifecycle.ACTIVE)
             .order_by("backorder_id").values("backorder_id")[:1])
    first_in_line = dict(
        Product.objects.filter(id__in=all_products)
        .annotate(first=Subquery(first)).values_list("id", "first"))
    out = {}
    for r in rows:
        age = (now - r.created_at).days
        active = r.status in lifecycle.ACTIVE
        out[r.id] = RowFlags(
            age_days=age, high=r.priority == "high", vip=r.customer.vip,
            oldest=active and any(first_in_line.get(p) == r.id
                                  for p in products_of.get(r.id, ())),
            over_max_age=active and age > max_age_days,
        )
    return out


def backorder_detail(number: str) -> Backorder:
    """The backorder with its customer, order and lines (with products and
    their promises on purchase orders)."""
    backorder = (
        Backorder.objects.select_related("customer", "customer__sales_rep", "order")
        .prefetch_related(Prefetch("lines", queryset=BackorderLine.objects.select_related(
            "product", "order_line").order_by("id")),
            Prefetch("lines__promises", queryset=Promise.objects.select_related(
                "purchase_order_line__purchase_order__supplier")))
        .filter(id=backorder_id(number)).first()
    )
    if backorder is None:
        raise NotFound("backorders.not_found", f"no backorder {number!r}")
    return backorder


def stock_of_products(product_ids: list[int], *, exclude_backorder: int | None = None) -> dict:
    """On hand, available and allocated-to-others per product, for the detail view."""
    figures = {p.id: p for p in products_with_stock().filter(id__in=product_ids)}
    own = {}
    if exclude_backorder is not None:
        own = dict(BackorderLine.objects.filter(backorder_id=exclude_backorder).values(
            "product_id").annotate(n=Sum("allocated")).values_list("product_id", "n"))
    return {
        pid: {"on_hand": p.on_hand, "available": p.available,
              "allocated_to_others": p.allocated - own.get(pid, 0)}
        for pid, p in figures.items()
    }


@dataclass(frozen=True)
class OrderView:
    order: object
    lines: list
    backorders: list
    backorder_held: dict[int, int]  # order line id -> units its active backorders hold


def order_view(number: str) -> OrderView:
    """An order with its lines and backorders, and how many units of each
    line its active backorders hold (for `ready_to_ship`)."""
    from fillrate.orders.selectors import order_detail

    order = order_detail(number)
    backorders = list(order.backorders.all())
    held: dict[int, int] = {}
    for b in backorders:
        for bl in b.lines.all():
            held[bl.order_line_id] = held.get(bl.order_line_id, 0) + bl.allocated
    return OrderView(order, list(order.lines.all()), backorders, held)


@dataclass(frozen=True)
class PromisedRow:
    backorder: str
    status: str
    customer: str
    sku: str
    quantity: int
    expected_date: dt.date


def promised_against(purchase_order_id: int) -> list[PromisedRow]:
    """The backorder lines promised against a purchase order, by its line,
    then oldest backorder first (one statement)."""
    rows = (Promise.objects.filter(purchase_order_line__purchase_order_id=purchase_order_id)
            .select_related("backorder_line__backorder__customer", "product")
            .order_by("purchase_order_line__line_no", "backorder_line__backorder__created_at",
                      "backorder_line__backorder_id", "backorder_line_id"))
    return [PromisedRow(backorder=p.backorder_line.backorder.number,
                        status=p.backorder_line.backorder.status,
                        customer=p.backorder_line.backorder.customer.name, sku=p.product.sku,
                        quantity=p.quantity, expected_date=p.expected_date) for p in rows]


def waiting_for_product(product_id: int) -> list[BackorderLine]:
    """Lines of active backorders with units of this product still open (not
    fulfilled, not cancelled), oldest backorder first, each with its
    backorder and customer loaded (`open_quantity`, `waiting`,
    `expected_date` on the line), in one query."""
    return list(
        BackorderLine.objects.filter(product_id=product_id,
                                     backorder__status__in=lifecycle.ACTIVE)
        .annotate(open_units=OPEN_QTY).filter(open_units__gt=0)
        .select_related("backorder", "backorder__customer")
        .order_by("backorder__created_at", "backorder_id", "id")
    )


def applied_substitutions(order_id: int) -> list:
    """The order's applied substitutions, with both lines and products loaded."""
    from fillrate.backorders.models import Substitution, SubstitutionStatus

    return list(Substitution.objects.filter(backorder__order_id=order_id,
                                            status=SubstitutionStatus.APPLIED)
                .select_related("backorder", "backorder_line__product", "product",
                                "order_line").order_by("id"))

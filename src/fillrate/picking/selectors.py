"""Read queries of the warehouse floor: the pick queue, runs with their pick
path, totes, and the issues wall with what a supervisor checks."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    QuerySet,
    Sum,
    Value,
    When,
)

from fillrate.core.errors import InvalidValue, NotFound
from fillrate.core.numbers import parse_number
from fillrate.core.sql import fetch, table
from fillrate.fulfilment import lifecycle as ff
from fillrate.fulfilment.models import Fulfillment, FulfillmentLine
from fillrate.inventory.models import SELLABLE_KINDS, Location, MovementKind, StockLevel
from fillrate.inventory.models import StockMovement as Movement
from fillrate.orders.models import Allocation
from fillrate.picking.models import (
    Issue,
    IssueStatus,
    Pick,
    PickRun,
    PickRunFulfillment,
    QueueHold,
    Tote,
    ToteContent,
)
from fillrate.picking.path import Holding, PathLine, PickStep, plan_pick_path

PICKABLE = (ff.QUEUED, ff.PICKING, ff.ISSUE)


def check_location_kind(kind: str | None) -> None:
    if kind and kind not in SELLABLE_KINDS:
        raise InvalidValue("picking.invalid_location_kind",
                           f"location_kind is one of {', '.join(SELLABLE_KINDS)}",
                           field="location_kind")


def queue_queryset(*, zone: str | None = None,
                   location_kind: str | None = None) -> QuerySet[Fulfillment]:
    """Queued fulfillments not held and in no open run: high-priority
    backorders first, then VIP customers, then the oldest order. `zone` and
    `location_kind` keep those with stock held in such a location."""
    check_location_kind(location_kind)
    qs = (Fulfillment.objects.filter(status=ff.QUEUED)
          .exclude(Exists(QueueHold.objects.filter(fulfillment_id=OuterRef("pk"))))
          .exclude(Exists(PickRunFulfillment.objects.filter(fulfillment_id=OuterRef("pk"),
                                                            active=True)))
          .annotate(high=Case(When(backorder__priority="high", then=Value(1)), default=Value(0),
                              output_field=IntegerField()),
                    vip=F("order__customer__vip"), placed=F("order__created_at"))
          .order_by("-high", "-vip", "placed", "id"))
    where = {}
    if zone:
        where["order_line__allocations__stock_level__location__zone"] = zone
    if location_kind:
        where["order_line__allocations__stock_level__location__kind"] = location_kind
    if where:
        qs = qs.filter(Exists(FulfillmentLine.objects.filter(fulfillment_id=OuterRef("pk"),
                                                             **where)))
    return qs


def pick_queue(*, zone: str | None = None, location_kind: str | None = None,
               held: bool = False) -> QuerySet[Fulfillment]:
    """The pick queue as people read it (with order, customer, units); with
    `held`, the held fulfillments instead."""
    if held:
        qs = (Fulfillment.objects.filter(queue_hold__isnull=False)
              .annotate(high=Case(When(backorder__priority="high", then=Value(1)),
                                  default=Value(0), output_field=IntegerField()),
                        vip=F("order__customer__vip"), placed=F("order__created_at"))
              .order_by("placed", "id"))
    else:
        qs = queue_queryset(zone=zone, location_kind=location_kind)
    return (qs.select_related("order__customer", "backorder", "queue_hold")
            .annotate(units=Sum("lines__quantity"), line_count=Count("lines"))
            .prefetch_related("lines__product"))


def pick_runs(*, status: str | None = None) -> QuerySet[PickRun]:
    qs = PickRun.objects.select_related("picker").annotate(
        fulfillment_count=Count("members")).order_by("-id")
    if status:
        if status not in ("open", "picking", "done", "cancelled"):
            raise InvalidValue("picking.invalid_status",
                               "status is one of open, picking, done, cancelled", field="status")
        qs = qs.filter(status=status)
    return qs


@dataclass(frozen=True)
class RunMember:
    fulfillment: str
    status: str
    order: str
    customer: str
    tote: str | None
    position: int
    active: bool


@dataclass(frozen=True)
class RunDetail:
    run: PickRun
    members: list[RunMember]
    path: list[PickStep]
    units: int
    picked: int

    @property
    def next(self) -> PickStep | None:
        return next((s for s in self.path if s.remaining > 0 and s.location_id is not None
                     and self._pickable(s.fulfillment)), None)

    def _pickable(self, number: str) -> bool:
        return any(m.fulfillment == number and m.active and m.status in PICKABLE
                   for m in self.members)


def run_by_number(number: str) -> PickRun:
    try:
        pk = parse_number(PickRun.PREFIX, number, what="pick run")
    except NotFound:
        raise NotFound("picking.unknown_run", f"no pick run {number!r}") from None
    run = PickRun.objects.select_related("picker").filter(id=pk).first()
    if run is None:
        raise NotFound("picking.unknown_run", f"no pick run {number!r}")
    return run


def fulfillment_path(fulfillment_ids: Sequence[int], *,
                     positions: dict[int, int] | None = None) -> list[PickStep]:
    """The pick path of these fulfillments (see `fillrate.picking.path`):
    what is picked, and what is still due from where its order line's stock
    is held now."""
    positions = positions or {pk: i for i, pk in enumerate(fulfillment_ids)}
    rows = list(FulfillmentLine.objects.filter(fulfillment_id__in=list(fulfillment_ids))
                .select_related("product", "fulfillment").order_by("fulfillment_id", "id"))
    picks: dict[int, dict[int, int]] = defaultdict(dict)
    for line_id, location_id, n in (Pick.objects.filter(
            fulfillment_id__in=list(fulfillment_ids), undone_at__isnull=True)
            .values("fulfillment_line_id", "location_id").annotate(n=Sum("quantity"))
            .values_list("fulfillment_line_id", "location_id", "n")):
        picks[line_id][location_id] = n
    missing = dict(Issue.objects.filter(fulfillment_id__in=list(fulfillment_ids),
                                        status=IssueStatus.OPEN)
                   .values("fulfillment_line_id").annotate(n=Sum("quantity"))
                   .values_list("fulfillment_line_id", "n"))
    totes = dict(ToteContent.objects.filter(fulfillment_id__in=list(fulfillment_ids))
                 .values_list("fulfillment_id", "tote__code"))
    holdings: dict[int, list[Holding]] = defaultdict(list)
    for ol, lid, code, seq, zone, q in (Allocation.objects.filter(
            order_line_id__in={x.order_line_id for x in rows},
            stock_level__location__kind__in=SELLABLE_KINDS)
            .values_list("order_line_id", "stock_level__location_id",
                         "stock_level__location__code", "stock_level__location__pick_sequence",
                         "stock_level__location__zone", "quantity")):
        holdings[ol].append(Holding(lid, code, seq, q, zone))
    places = {loc.id: Holding(loc.id, loc.code, loc.pick_sequence, 0, loc.zone)
              for loc in Location.objects.filter(
                  id__in={lid for p in picks.values() for lid in p})}
    lines = []
    for x in rows:
        picked = picks.get(x.id, {})
        pickable = x.fulfillment.status in PICKABLE
        lines.append(PathLine(
            fulfillment=x.fulfillment.number, position=positions[x.fulfillment_id],
            line_id=x.id, order_line_id=x.order_line_id, sku=x.product.sku, upc=x.product.upc,
            name=x.product.name, quantity=x.quantity if pickable else sum(picked.values()),
            tote=totes.get(x.fulfillment_id), picked=picked, missing=missing.get(x.id, 0)))
    return plan_pick_path(lines, holdings, places)


def run_detail(number: str) -> RunDetail:
    run = run_by_number(number)
    members = list(PickRunFulfillment.objects.filter(run_id=run.id)
                   .select_related("fulfillment__order__customer").order_by("position"))
    ids = [m.fulfillment_id for m in members]
    totes = dict(ToteContent.objects.filter(fulfillment_id__in=ids)
                 .values_list("fulfillment_id", "tote__code"))
    path = fulfillment_path(ids, positions={m.fulfillment_id: m.position for m in members})
    return RunDetail(
        run=run,
        members=[RunMember(fulfillment=m.fulfillment.number, status=m.fulfillment.status,
                           order=m.fulfillment.order.number,
                           customer=m.fulfillment.order.customer.code,
                           tote=totes.get(m.fulfillment_id), position=m.position,
                           active=m.active) for m in members],
        path=path, units=sum(s.quantity for s in path), picked=sum(s.picked for s in path))


def run_picks(run_pk: int) -> list[Pick]:
    return list(Pick.objects.filter(run_id=run_pk).select_related(
        "product", "location", "tote", "fulfillment", "picker").order_by("id"))


# -- totes ------------------------------------------------------------------------


def tote_status(tote: Tote, in_use: bool) -> str:
    if tote.place_id is not None and in_use:
        return "issues"
    return "in_use" if in_use else "free"


def totes(*, status: str | None = None) -> QuerySet[Tote]:
    qs = (Tote.objects.select_related("place", "location__warehouse")
          .annotate(in_use=Exists(ToteContent.objects.filter(tote_id=OuterRef("pk"))))
          .order_by("code"))
    if status:
        if status not in ("free", "in_use", "issues"):
            raise InvalidValue("picking.invalid_status", "status is one of free, in_use, issues",
                               field="status")
        qs = {"free": qs.filter(in_use=False),
              "in_use": qs.filter(in_use=True, place__isnull=True),
              "issues": qs.filter(in_use=True, place__isnull=False)}[status]
    return qs


@dataclass(frozen=True)
class ToteItem:
    fulfillment: str
    status: str
    order: str
    sku: str
    name: str
    quantity: int  # on the fulfillment line
    picked: int    # in the tote


@dataclass(frozen=True)
class ToteDetail:
    tote: Tote
    status: str
    fulfillments: list[tuple[str, str]]  # (number, status)
    items: list[ToteItem]


def tote_detail(code: str) -> ToteDetail:
    tote = (Tote.objects.select_related("place", "location__warehouse")
            .filter(code=code.strip().upper()).first())
    if tote is None:
        raise NotFound("picking.unknown_tote", f"no tote {code!r}")
    ids = list(ToteContent.objects.filter(tote_id=tote.id).order_by("fulfillment_id")
               .values_list("fulfillment_id", flat=True))
    rows = list(FulfillmentLine.objects.filter(fulfillment_id__in=ids)
                .select_related("product", "fulfillment__order").order_by("fulfillment_id",
                                                                          "id"))
    picked = dict(Pick.objects.filter(fulfillment_id__in=ids, undone_at__isnull=True)
                  .values("fulfillment_line_id").annotate(n=Sum("quantity"))
                  .values_list("fulfillment_line_id", "n"))
    seen: dict[str, str] = {}
    for x in rows:
        seen[x.fulfillment.number] = x.fulfillment.status
    return ToteDetail(
        tote=tote, status=tote_status(tote, bool(ids)), fulfillments=list(seen.items()),
        items=[ToteItem(x.fulfillment.number, x.fulfillment.status, x.fulfillment.order.number,
                        x.product.sku, x.product.name, x.quantity, picked.get(x.id, 0))
               for x in rows])


# -- the issues wall --------------------------------------------------------------


@dataclass(frozen=True)
class StockElsewhere:
    location: str
    kind: str
    on_hand: int
    allocated: int


@dataclass(frozen=True)
class RecentReceipt:
    created_at: object
    location: str
    quantity: int
    reference: str


@dataclass(frozen=True)
class WallIssue:
    issue: Issue
    order: str
    customer: str
    tote: str | None
    elsewhere: list[StockElsewhere]
    receipts: list[RecentReceipt]


def issue_by_number(number: str) -> Issue:
    try:
        pk = parse_number(Issue.PREFIX, number, what="issue")
    except NotFound:
        raise NotFound("picking.unknown_issue", f"no issue {number!r}") from None
    issue = (Issue.objects.select_related("fulfillment__order__customer", "product", "location",
                                          "found_at").filter(id=pk).first())
    if issue is None:
        raise NotFound("picking.unknown_issue", f"no issue {number!r}")
    return issue


def issues(*, status: str | None = "open") -> QuerySet[Issue]:
    qs = Issue.objects.select_related("fulfillment__order__customer", "product", "location",
                                      "found_at").order_by("id")
    if status:
        if status not in IssueStatus.values:
            raise InvalidValue("picking.invalid_status",
                               f"status is one of {', '.join(IssueStatus.values)}",
                               field="status")
        qs = qs.filter(status=status)
    return qs


def issues_wall(rows: Sequence[Issue], *, receipts: int = 5) -> list[WallIssue]:
    """Each issue with what a supervisor checks before deciding (seed 000):
    where else the product is recorded (pick, bulk and receiving locations
    with quantities) and its recent receipts."""
    product_ids = sorted({x.product_id for x in rows})
    levels: dict[int, list[StockElsewhere]] = defaultdict(list)
    for pid, code, kind, on_hand, allocated in (StockLevel.objects.filter(
            product_id__in=product_ids, location__kind__in=SELLABLE_KINDS, on_hand__gt=0)
            .order_by("location__pick_sequence", "location__code")
            .values_list("product_id", "location__code", "location__kind", "on_hand",
                         "allocated")):
        levels[pid].append(StockElsewhere(code, kind, on_hand, allocated))
    received: dict[int, list[RecentReceipt]] = defaultdict(list)
    for pid in product_ids:
        received[pid] = [RecentReceipt(m.created_at, m.location.code, m.quantity, m.reference)
                         for m in Movement.objects.filter(product_id=pid,
                                                          kind=MovementKind.RECEIVED)
                         .select_related("location").order_by("-id")[:receipts]]
    totes_of = dict(ToteContent.objects.filter(
        fulfillment_id__in={x.fulfillment_id for x in rows})
        .values_list("fulfillment_id", "tote__code"))
    return [WallIssue(issue=x, order=x.fulfillment.order.number,
                      customer=x.fulfillment.order.customer.code,
                      tote=totes_of.get(x.fulfillment_id), elsewhere=levels[x.product_id],
                      receipts=received[x.product_id]) for x in rows]


def picked_units(fulfillment_id: int) -> dict[int, dict[int, int]]:
    """Units of a fulfillment in totes: `{tote stock level id: {order line
    id: units}}` (what dispatch ships from there)."""
    out: dict[int, dict[int, int]] = defaultdict(dict)
    rows = (Pick.objects.filter(fulfillment_id=fulfillment_id, undone_at__isnull=True)
            .values("tote__location_id", "fulfillment_line__order_line_id", "product_id")
            .annotate(n=Sum("quantity")))
    levels = {(lv.product_id, lv.location_id): lv.id for lv in StockLevel.objects.filter(
        location_id__in={r["tote__location_id"] for r in rows},
        product_id__in={r["product_id"] for r in rows})}
    for r in rows:
        level = levels[(r["product_id"], r["tote__location_id"])]
        line = r["fulfillment_line__order_line_id"]
        out[level][line] = out[level].get(line, 0) + r["n"]
    return dict(out)



@dataclass(frozen=True)
class ScanContext:
    """What one scan names, found in one statement (the hot path)."""

    product_id: int | None
    sku: str | None
    location_id: int | None
    location: str | None
    location_kind: str | None
    tote_id: int | None
    tote_location_id: int | None
    tote_parked: bool
    in_run: bool
    tote_level: bool  # the tote has a stock level of the product already


def scan_context(*, run_id: int, fulfillment_id: int, product: str, location: str,
                 tote: str) -> ScanContext:
    """The product (by SKU in any case, else by UPC), the location (any
    case), the tote and whether the fulfillment is in the run, read in one
    statement: a scan is the request pickers make most."""
    from fillrate.catalog.models import Product

    products, places, totes = table(Product), table(Location), table(Tote)
    members, levels = table(PickRunFulfillment), table(StockLevel)
    row = fetch(
        f"WITH p AS (SELECT COALESCE("
        f"(SELECT id FROM {products} WHERE UPPER(sku) = UPPER(%s) LIMIT 1), "
        f"(SELECT id FROM {products} WHERE upc = %s AND upc <> '' ORDER BY id LIMIT 1)) AS id), "
        f"l AS (SELECT id, code, kind FROM {places} WHERE UPPER(code) = UPPER(%s) "
        f"AND kind <> 'tote' ORDER BY warehouse_id, id LIMIT 1), "
        f"t AS (SELECT id, location_id, place_id FROM {totes} WHERE code = %s) "
        f"SELECT p.id, (SELECT sku FROM {products} WHERE id = p.id), "
        f"(SELECT id FROM l), (SELECT code FROM l), (SELECT kind FROM l), "
        f"(SELECT id FROM t), (SELECT location_id FROM t), "
        f"(SELECT place_id IS NOT NULL FROM t), "
        f"EXISTS (SELECT 1 FROM {members} WHERE run_id = %s AND fulfillment_id = %s "
        f"AND active), "
        f"EXISTS (SELECT 1 FROM {levels} WHERE product_id = p.id "
        f"AND location_id = (SELECT location_id FROM t)) FROM p",
        [product, product, location, tote.strip().upper(), run_id, fulfillment_id])[0]
    return ScanContext(*row[:7], bool(row[7]), bool(row[8]), bool(row[9]))


def lines_to_pick(fulfillment_id: int, *, source_level_id: int = 0) -> list[tuple]:
    """(line id, order line id, product id, quantity, picked, missing on open
    issues, units its order line holds at `source_level_id`, the tote id and
    code the fulfillment is in) of each line of a fulfillment, in one
    statement."""
    lines, picks, open_issues = table(FulfillmentLine), table(Pick), table(Issue)
    allocations, contents, totes = table(Allocation), table(ToteContent), table(Tote)
    return [tuple(r) for r in fetch(
        f"SELECT fl.id, fl.order_line_id, fl.product_id, fl.quantity, "
        f"COALESCE((SELECT SUM(quantity) FROM {picks} WHERE fulfillment_id = fl.fulfillment_id "
        f"AND fulfillment_line_id = fl.id AND undone_at IS NULL), 0), "
        f"COALESCE((SELECT SUM(quantity) FROM {open_issues} "
        f"WHERE fulfillment_id = fl.fulfillment_id AND status = 'open' "
        f"AND fulfillment_line_id = fl.id), 0), "
        f"COALESCE((SELECT quantity FROM {allocations} WHERE order_line_id = fl.order_line_id "
        f"AND stock_level_id = %s), 0), "
        f"(SELECT tote_id FROM {contents} WHERE fulfillment_id = fl.fulfillment_id), "
        f"(SELECT t.code FROM {contents} c JOIN {totes} t ON t.id = c.tote_id "
        f"WHERE c.fulfillment_id = fl.fulfillment_id) "
        f"FROM {lines} fl WHERE fl.fulfillment_id = %s ORDER BY fl.id",
        [source_level_id, fulfillment_id])]


def picked_per_fulfillment_line(*, order_line_ids: Sequence[int]) -> dict[int, int]:
    """Units in totes per pending fulfillment line of these order lines."""
    if not order_line_ids:
        return {}
    return dict(Pick.objects.filter(fulfillment_line__order_line_id__in=list(order_line_ids),
                                    fulfillment__status__in=ff.PENDING,
                                    undone_at__isnull=True)
                .values("fulfillment_line_id").annotate(n=Sum("quantity"))
                .values_list("fulfillment_line_id", "n"))

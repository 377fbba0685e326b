"""Read-only views of the floor for printing and for the staff pages: the
packing slip of a fulfillment (served by the web app and by the API's
`GET /fulfillments/{number}/packing-slip`, one renderer for both), and a
run's pick path with its progress (the scan screen, the pick list).

Nothing here writes; the floor's state changes are in `picking.services`."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, IntegerField, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.template.loader import render_to_string

from fillrate.backorders import lifecycle as backorder_lifecycle
from fillrate.backorders.models import BackorderLine
from fillrate.fulfilment import lifecycle
from fillrate.fulfilment.models import Fulfillment, FulfillmentLine
from fillrate.fulfilment.selectors import fulfillment_detail
from fillrate.inventory.models import SELLABLE_KINDS, Location
from fillrate.picking.models import Issue, IssueStatus
from fillrate.picking.selectors import RunDetail, run_picks

SLIP_TEMPLATE = "picking/packing_slip.html"


@dataclass(frozen=True)
class SlipLine:
    sku: str
    name: str
    quantity: int


@dataclass(frozen=True)
class BackorderedLine:
    """Units of the order still to come in a later shipment."""

    backorder: str
    sku: str
    name: str
    quantity: int
    expected_date: dt.date | None


@dataclass(frozen=True)
class PackingSlip:
    fulfillment: Fulfillment
    in_the_box: list[SlipLine]
    to_come: list[BackorderedLine]

    @property
    def units(self) -> int:
        return sum(x.quantity for x in self.in_the_box)


def _in_the_box(f: Fulfillment) -> list[SlipLine]:
    """One row per product (two order lines of one SKU are one row in a box)."""
    rows: dict[str, list] = {}
    for x in f.lines.all():
        row = rows.setdefault(x.product.sku, [x.product.name, 0])
        row[1] += x.quantity
    return [SlipLine(sku, name, quantity) for sku, (name, quantity) in rows.items()]


def _to_come(f: Fulfillment) -> list[BackorderedLine]:
    """The order's backorder units that neither shipped, nor were cancelled,
    nor are on a shipment on its way through the warehouse (this one
    included): what the customer still waits for, with its expected date."""
    on_the_way = (FulfillmentLine.objects
                  .filter(backorder_line_id=OuterRef("pk"),
                          fulfillment__status__in=lifecycle.PENDING)
                  .values("backorder_line_id").annotate(n=Sum("quantity")).values("n")[:1])
    lines = (BackorderLine.objects
             .filter(backorder__order_id=f.order_id,
                     backorder__status__in=backorder_lifecycle.ACTIVE)
             .annotate(on_the_way=Coalesce(Subquery(on_the_way, output_field=IntegerField()),
                                           Value(0)))
             .select_related("backorder", "product").order_by("backorder_id", "id"))
    out = []
    for line in lines:
        quantity = line.quantity - line.fulfilled - line.cancelled - line.on_the_way
        if quantity > 0:
            out.append(BackorderedLine(line.backorder.number, line.product.sku,
                                       line.product.name, quantity, line.expected_date))
    return out


def packing_slip(number: str) -> PackingSlip:
    """What is in the box of fulfillment `number` and what of its order is
    still on backorder. Raises `NotFound` (`fulfilment.not_found`)."""
    f = fulfillment_detail(number)
    return PackingSlip(f, _in_the_box(f), _to_come(f))


def packing_slip_html(number: str) -> str:
    """The printable packing slip, a whole HTML page. Raises `NotFound`."""
    return render_to_string(SLIP_TEMPLATE, {"slip": packing_slip(number)})


# --- a run's path as the scan screen, the run page and the pick list show it --

@dataclass(frozen=True)
class Stop:
    """One step of the pick path with its progress."""

    sequence: int
    fulfillment: str
    location: str
    sku: str
    upc: str
    name: str
    quantity: int
    picked: int
    tote: str | None
    new_location: bool  # the first step at this location (the pick list prints it once)

    @property
    def due(self) -> int:
        return self.quantity - self.picked

    @property
    def finished(self) -> bool:
        return self.due <= 0


@dataclass(frozen=True)
class PickedUnits:
    quantity: int
    sku: str
    location: str
    tote: str
    fulfillment: str


@dataclass(frozen=True)
class RunPath:
    stops: list[Stop]
    current: Stop | None
    next_location: str
    picked: list[PickedUnits]
    missing_units: int
    issue_count: int

    @property
    def last_pick(self) -> PickedUnits | None:
        return self.picked[-1] if self.picked else None

    @property
    def total_units(self) -> int:
        return sum(s.quantity for s in self.stops) + self.missing_units

    @property
    def done_units(self) -> int:
        return sum(s.picked for s in self.stops) + self.missing_units

    @property
    def stop_count(self) -> int:
        return len(self.stops)

    @property
    def stop_number(self) -> int:
        return self.current.sequence if self.current else len(self.stops)


def path_view(steps, picked: list[PickedUnits], *, missing_units: int, issue_count: int,
              current=None) -> RunPath:
    """The pick path's steps (`picking.path.PickStep`, in walking order) as
    the screens show them: numbered, the first step at each location
    marked, the current step (`current`, one of `steps`: what
    `RunDetail.next` says is to pick now) and the location after it."""
    stops, last = [], None
    for i, s in enumerate(steps, start=1):
        stops.append(Stop(i, s.fulfillment, s.location or "—", s.sku, s.upc or "", s.name,
                          s.quantity, s.picked, s.tote, s.location != last))
        last = s.location
    at = next((x for x, s in zip(stops, steps, strict=True) if s is current), None)
    next_location = ""
    if at is not None:
        next_location = next((x.location for x, s in zip(stops[at.sequence:], steps[at.sequence:],
                                                          strict=True)
                              if x.due > 0 and s.location_id is not None
                              and x.location != at.location), "")
    return RunPath(stops, at, next_location, picked, missing_units, issue_count)


def run_path(detail: RunDetail) -> RunPath:
    """A run (`picking.selectors.run_detail`) as the scan screen shows it:
    its path, what is picked (newest last: the one an undo takes back) and
    the units reported missing on its fulfillments' open issues."""
    picked = [PickedUnits(p.quantity, p.product.sku, p.location.code, p.tote.code,
                          p.fulfillment.number)
              for p in run_picks(detail.run.id) if p.undone_at is None]
    missing = (Issue.objects.filter(fulfillment__pick_runs__run_id=detail.run.id,
                                    status=IssueStatus.OPEN)
               .aggregate(units=Sum("quantity"), count=Count("fulfillment_id", distinct=True)))
    return path_view(detail.path, picked, missing_units=missing["units"] or 0,
                     issue_count=missing["count"] or 0, current=detail.next)


def sellable_location_codes() -> list[str]:
    """Every active pick, bulk and receiving location, in pick sequence:
    where a supervisor may say missing units were found."""
    return list(Location.objects.filter(kind__in=SELLABLE_KINDS, active=True)
                .order_by("pick_sequence", "code").values_list("code", flat=True))


def queue_zones() -> list[str]:
    """The zones of sellable locations (the pick queue's zone filter)."""
    return list(Location.objects.filter(kind__in=SELLABLE_KINDS).exclude(zone="")
                .order_by("zone").values_list("zone", flat=True).distinct())

"""Read-only views of the floor for printing and for the staff pages: the
packing slip of a fulfillment (served by the web app and by the API's
`GET /fulfillments/{number}/packing-slip`, one renderer for both).

Nothing here writes; the floor's state changes are in `picking.services`."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import IntegerField, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.template.loader import render_to_string

from fillrate.backorders import lifecycle as backorder_lifecycle
from fillrate.backorders.models import BackorderLine
from fillrate.fulfilment import lifecycle
from fillrate.fulfilment.models import Fulfillment, FulfillmentLine
from fillrate.fulfilment.selectors import fulfillment_detail

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

"""Totes: making them, finding them, parking them on the issues wall, and
their printable Code 128 label."""

from __future__ import annotations

import io
import re

from django.db import IntegrityError, transaction

from fillrate.core.errors import Conflict, InvalidValue, NotFound
from fillrate.core.event_types import EventType
from fillrate.core.events import record_event
from fillrate.fulfilment import lifecycle
from fillrate.inventory.models import Warehouse
from fillrate.inventory.places import create_tote_location, issues_location
from fillrate.picking.models import Tote, ToteContent

CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,23}")


def clean_tote_code(code: object, *, field: str = "code") -> str:
    if not isinstance(code, str) or not CODE.fullmatch(code.strip()):
        raise InvalidValue("picking.invalid_tote_code",
                           "a tote code is 1 to 24 letters, digits, '.', '-' or '_', starting "
                           "with a letter or digit", field=field)
    return code.strip().upper()


def tote_by_code(code: str, *, field: str = "tote") -> Tote:
    tote = (Tote.objects.select_related("location", "place").filter(
        code=code.strip().upper()).first() if isinstance(code, str) else None)
    if tote is None:
        raise NotFound("picking.unknown_tote", f"no tote {code!r}: scan a tote's label",
                       field=field)
    return tote


def create_tote(*, code: str, warehouse: str | None = None,
                actor_id: int | None = None) -> Tote:
    """A new empty tote with its own location (kind `tote`) in `warehouse`
    (the first warehouse when not named). Bad code: 422
    `picking.invalid_tote_code`; code taken: 409 `picking.duplicate_tote`;
    unknown warehouse: 404. Writes `ToteCreated`."""
    code = clean_tote_code(code)
    with transaction.atomic():
        qs = Warehouse.objects.order_by("id")
        place = qs.filter(code=warehouse).first() if warehouse else qs.first()
        if place is None:
            raise NotFound("inventory.unknown_warehouse",
                           f"no warehouse {warehouse!r}" if warehouse else "there is no warehouse",
                           field="warehouse")
        if Tote.objects.filter(code=code).exists():
            raise Conflict("picking.duplicate_tote", f"tote {code} exists already", field="code")
        try:
            with transaction.atomic():
                location = create_tote_location(warehouse_id=place.id, code=code)
                tote = Tote.objects.create(code=code, location=location)
        except IntegrityError:
            raise Conflict("picking.duplicate_tote", f"tote {code} exists already",
                           field="code") from None
        record_event(type=EventType.TOTE_CREATED, subject_type="tote", subject=code,
                     actor_id=actor_id, payload={"warehouse": place.code})
    return tote


def park_if_only_issues(*, tote_id: int, actor_id: int | None = None) -> bool:
    """Send a tote to the issues wall when everything left in it is waiting
    for a supervisor (seed 000: the packer completes the valid fulfillments
    and leaves only the issue ones). Free a tote with nothing left in it
    (back in circulation). Expects the fulfillments in it locked. Returns
    whether it was parked."""
    statuses = set(ToteContent.objects.filter(tote_id=tote_id).values_list(
        "fulfillment__status", flat=True))
    tote = Tote.objects.select_related("location").get(id=tote_id)
    if not statuses:
        if tote.place_id is not None:
            Tote.objects.filter(id=tote_id).update(place=None)
        return False
    if statuses <= {lifecycle.ISSUE, lifecycle.BACKORDER} and tote.place_id is None:
        wall = issues_location(warehouse_id=tote.location.warehouse_id, actor_id=actor_id)
        Tote.objects.filter(id=tote_id).update(place=wall)
        record_event(type=EventType.TOTE_PARKED, subject_type="tote", subject=tote.code,
                     actor_id=actor_id, payload={"location": wall.code})
        return True
    return False


def tote_label_svg(code: str) -> str:
    """The tote's printable label: its code as a Code 128 barcode (SVG,
    python-barcode), the code in text under it."""
    from barcode import Code128
    from barcode.writer import SVGWriter

    out = io.BytesIO()
    Code128(code, writer=SVGWriter()).write(out, options={
        "module_width": 0.4, "module_height": 18.0, "font_size": 12, "text_distance": 6.0,
        "quiet_zone": 4.0})
    return out.getvalue().decode("utf-8")


def leave_tote(*, fulfillment_id: int, actor_id: int | None = None) -> None:
    """A fulfillment that was dispatched or cancelled without being packed
    leaves its tote (the tote is freed, or parked when only issue work is
    left in it). Expects the fulfillment locked."""
    tote = (ToteContent.objects.filter(fulfillment_id=fulfillment_id)
            .values_list("tote_id", flat=True).first())
    if tote is not None:
        ToteContent.objects.filter(fulfillment_id=fulfillment_id).delete()
        park_if_only_issues(tote_id=tote, actor_id=actor_id)

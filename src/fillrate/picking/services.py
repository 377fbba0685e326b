"""The warehouse floor's state changes: holding queued work, pick runs,
recording and undoing scans, marking units missing, packing.

Locks, in the global order (DESIGN.md): stock levels (product id, then
location id), the order, fulfillments (id order), then the pick run, then
picking rows. Stock moves only through `fillrate.inventory.services`, the
allocation rows that say whose it is only through `fillrate.orders`. The
supervisor's decisions on issues span orders and backorders and live in
`fillrate.workflows.resolve_issue`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone

from fillrate.accounts.permissions import has_permission
from fillrate.accounts.selectors import active_user
from fillrate.catalog.models import Product
from fillrate.core.errors import Conflict, InvalidValue, NotFound
from fillrate.core.event_types import EventType
from fillrate.core.events import event_rows, record_event, record_events
from fillrate.core.numbers import MAX_QUANTITY, parse_number
from fillrate.core.retry import retry_on_lock_conflict
from fillrate.core.sql import WriteBatch
from fillrate.fulfilment import lifecycle as ff
from fillrate.fulfilment.models import Fulfillment, FulfillmentLine
from fillrate.fulfilment.services import fulfillment_id, lock_fulfillment, move_fulfillment
from fillrate.inventory.locks import ensure_stock_levels, lock_stock_levels
from fillrate.inventory.models import SELLABLE_KINDS, Location, MovementKind
from fillrate.inventory.services import HeldMove, move_held_stock
from fillrate.orders import services as orders
from fillrate.orders.models import Allocation
from fillrate.picking import lifecycle
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
from fillrate.picking.selectors import lines_to_pick, queue_queryset, scan_context
from fillrate.picking.totes import leave_tote, park_if_only_issues, tote_by_code

MAX_RUN = 1000
DEFAULT_RUN = 10
# A fulfillment in one of these states can still take picks (an `issue` one
# for its other lines: the picker goes on picking the rest).
PICKABLE = frozenset({ff.QUEUED, ff.PICKING, ff.ISSUE})


def run_id(number: str) -> int:
    try:
        return parse_number(PickRun.PREFIX, number, what="pick run")
    except NotFound:
        raise NotFound("picking.unknown_run", f"no pick run {number!r}") from None


def issue_id(number: str) -> int:
    try:
        return parse_number(Issue.PREFIX, number, what="issue")
    except NotFound:
        raise NotFound("picking.unknown_issue", f"no issue {number!r}") from None


def _fulfillment_pk(number: object, *, field: str) -> int:
    if not isinstance(number, str):
        raise InvalidValue("picking.invalid_fulfillment", "a fulfillment number such as "
                           "FF-000012", field=field)
    try:
        return fulfillment_id(number)
    except NotFound as error:
        raise NotFound(error.code, error.message, field=field) from None


def _quantity(quantity: object, *, field: str = "quantity") -> int:
    if isinstance(quantity, bool) or not isinstance(quantity, int) or not (
            0 < quantity <= MAX_QUANTITY):
        raise InvalidValue("picking.invalid_quantity",
                           f"quantity is a whole number from 1 to {MAX_QUANTITY}", field=field)
    return quantity


def product_by_scan(code: str, *, field: str = "sku") -> Product:
    """A scanned product: its SKU (any case) or its UPC."""
    code = (code or "").strip() if isinstance(code, str) else ""
    product = (Product.objects.filter(sku__iexact=code).only("id", "sku", "upc", "name").first()
               if code else None)
    if product is None and code:
        product = Product.objects.filter(upc=code).only("id", "sku", "upc", "name").first()
    if product is None:
        raise NotFound("catalog.unknown_sku", f"{code!r} is not a product's SKU or UPC",
                       field=field)
    return product


def location_by_scan(code: str, *, field: str = "location") -> Location:
    code = code.strip() if isinstance(code, str) else ""
    location = Location.objects.filter(code__iexact=code).first() if code else None
    if location is None:
        raise NotFound("inventory.unknown_location", f"no location {code!r}", field=field)
    return location


# -- holding queued work ------------------------------------------------------


def _active_run_of(fulfillment_pk: int) -> str | None:
    run = (PickRunFulfillment.objects.filter(fulfillment_id=fulfillment_pk, active=True)
           .values_list("run_id", flat=True).first())
    return PickRun(id=run).number if run else None


@retry_on_lock_conflict
def hold_fulfillment(*, number: str, reason: str = "", actor_id: int | None = None) -> QueueHold:
    """Keep a queued fulfillment out of the pick queue. Not queued:
    `picking.not_queued`; already held: `picking.already_held`; in a run:
    `picking.in_run` (all 409). Writes `FulfillmentHeld`."""
    reason = (reason or "").strip()
    if len(reason) > 300:
        raise InvalidValue("picking.invalid_reason", "reason is at most 300 characters",
                           field="reason")
    with transaction.atomic():
        fulfillment = lock_fulfillment(fulfillment_id(number))
        if fulfillment.status != ff.QUEUED:
            raise Conflict("picking.not_queued",
                           f"{fulfillment.number} is {fulfillment.status}: only queued work "
                           "can be held")
        if QueueHold.objects.filter(fulfillment_id=fulfillment.id).exists():
            raise Conflict("picking.already_held", f"{fulfillment.number} is held already")
        run = _active_run_of(fulfillment.id)
        if run:
            raise Conflict("picking.in_run",
                           f"{fulfillment.number} is in {run}: cancel that run first")
        hold = QueueHold.objects.create(fulfillment=fulfillment, reason=reason,
                                        held_by_id=actor_id)
        record_event(type=EventType.FULFILLMENT_HELD, subject_type="fulfillment",
                     subject=fulfillment.number, actor_id=actor_id, payload={"reason": reason})
    return hold


@retry_on_lock_conflict
def release_fulfillment(*, number: str, actor_id: int | None = None) -> Fulfillment:
    """Put a held fulfillment back in the pick queue (`picking.not_held`, 409,
    when it is not held). Writes `FulfillmentReleased`."""
    with transaction.atomic():
        fulfillment = lock_fulfillment(fulfillment_id(number))
        deleted, _ = QueueHold.objects.filter(fulfillment_id=fulfillment.id).delete()
        if not deleted:
            raise Conflict("picking.not_held", f"{fulfillment.number} is not held")
        record_event(type=EventType.FULFILLMENT_RELEASED, subject_type="fulfillment",
                     subject=fulfillment.number, actor_id=actor_id)
    return fulfillment


# -- pick runs ----------------------------------------------------------------


def _validate_run_request(fulfillments, max_fulfillments) -> list[int] | None:
    if fulfillments is not None and max_fulfillments is not None:
        raise InvalidValue("picking.fulfillments_or_max",
                           "name the fulfillments or ask for max_fulfillments, not both",
                           field="max_fulfillments")
    if max_fulfillments is not None and (
            isinstance(max_fulfillments, bool) or not isinstance(max_fulfillments, int)
            or not 1 <= max_fulfillments <= MAX_RUN):
        raise InvalidValue("picking.invalid_max_fulfillments",
                           f"max_fulfillments is a whole number from 1 to {MAX_RUN}",
                           field="max_fulfillments")
    if fulfillments is None:
        return None
    if not isinstance(fulfillments, list | tuple) or not fulfillments:
        raise InvalidValue("picking.no_fulfillments", "name at least one fulfillment",
                           field="fulfillments")
    if len(fulfillments) > MAX_RUN:
        raise InvalidValue("picking.too_many_fulfillments",
                           f"a run has at most {MAX_RUN} fulfillments", field="fulfillments")
    ids: list[int] = []
    for i, number in enumerate(fulfillments):
        pk = _fulfillment_pk(number, field=f"fulfillments[{i}]")
        if pk in ids:
            raise InvalidValue("picking.duplicate_fulfillment",
                               f"{number} is named twice", field=f"fulfillments[{i}]")
        ids.append(pk)
    return ids


@retry_on_lock_conflict
def create_pick_run(
    *, fulfillments: Sequence[str] | None = None, max_fulfillments: int | None = None,
    picker: str | None = None, tote: str | None = None, zone: str | None = None,
    location_kind: str | None = None, actor_id: int | None = None,
) -> PickRun:
    """A run of the named fulfillments, or of the first `max_fulfillments`
    (10 when neither is given) of the pick queue (`zone` / `location_kind`
    filter it as the queue does). With `tote`, every fulfillment not in a
    tote yet goes into that one (a multi-order tote). `picker` is the
    username of who picks it (the actor when not named); one whose role may
    not pick: `picking.not_a_picker` (422).

    A fulfillment is in one open run at most. Named ones are locked (in id
    order) and checked: not queued `picking.not_queued`, held
    `picking.held`, in another run `picking.in_another_run` (409). From the
    queue, rows locked by another request are skipped (`SKIP LOCKED` on
    PostgreSQL), so two pickers asking at once get different work; nothing
    left: `picking.queue_empty` (409). Writes `PickRunCreated`."""
    ids = _validate_run_request(fulfillments, max_fulfillments)
    picker_id = actor_id
    if picker is not None:
        user = active_user(picker, field="picker")
        if not has_permission(user.role, "picking.pick"):
            raise InvalidValue("picking.not_a_picker",
                               f"{picker} is {user.role}: that role does not pick",
                               field="picker")
        picker_id = user.id
    tote_row = tote_by_code(tote) if tote is not None else None
    with transaction.atomic():
        if tote_row is not None:
            Tote.objects.select_for_update(of=("self",)).filter(id=tote_row.id).first()
            if tote_row.place_id is not None:
                raise Conflict("picking.tote_parked",
                               f"tote {tote_row.code} is on the issues wall", field="tote")
        if ids is not None:
            rows = list(Fulfillment.objects.select_for_update(of=("self",))
                        .filter(id__in=ids).order_by("id"))
            found = {f.id: f for f in rows}
            for i, pk in enumerate(ids):
                if pk not in found:
                    raise NotFound("fulfilment.not_found",
                                   f"no fulfillment {Fulfillment(id=pk).number}",
                                   field=f"fulfillments[{i}]")
            _refuse_unavailable([found[pk] for pk in ids])
            chosen = ids
        else:
            qs = queue_queryset(zone=zone, location_kind=location_kind)
            if transaction.get_connection().features.has_select_for_update_skip_locked:
                qs = qs.select_for_update(skip_locked=True, of=("self",))
            locked = list(qs.values_list("id", flat=True)[:max_fulfillments or DEFAULT_RUN])
            # What another run took between this statement's snapshot and
            # its lock is seen now (a new statement sees their commit).
            taken = _unavailable(locked)
            chosen = [pk for pk in locked if pk not in taken]
            if not chosen:
                raise Conflict("picking.queue_empty",
                               "nothing in the pick queue" + (" for these filters"
                                                              if zone or location_kind else ""))
        run = PickRun.objects.create(picker_id=picker_id, created_by_id=actor_id)
        PickRunFulfillment.objects.bulk_create([
            PickRunFulfillment(run=run, fulfillment_id=pk, position=i)
            for i, pk in enumerate(chosen)])
        if tote_row is not None:
            have = set(ToteContent.objects.filter(fulfillment_id__in=chosen)
                       .values_list("fulfillment_id", flat=True))
            ToteContent.objects.bulk_create([ToteContent(tote=tote_row, fulfillment_id=pk)
                                             for pk in chosen if pk not in have])
        record_event(type=EventType.PICK_RUN_CREATED, subject_type="pick_run",
                     subject=run.number, actor_id=actor_id,
                     payload={"fulfillments": [Fulfillment(id=pk).number for pk in chosen],
                              "picker_id": picker_id,
                              "tote": tote_row.code if tote_row else None})
    return run


def _unavailable(ids: Sequence[int]) -> set[int]:
    """Of these fulfillments, the ones held or in an active run."""
    return (set(PickRunFulfillment.objects.filter(fulfillment_id__in=list(ids), active=True)
                .values_list("fulfillment_id", flat=True))
            | set(QueueHold.objects.filter(fulfillment_id__in=list(ids))
                  .values_list("fulfillment_id", flat=True)))


def _refuse_unavailable(rows: Sequence[Fulfillment]) -> None:
    ids = [f.id for f in rows]
    runs = dict(PickRunFulfillment.objects.filter(fulfillment_id__in=ids, active=True)
                .values_list("fulfillment_id", "run_id"))
    held = set(QueueHold.objects.filter(fulfillment_id__in=ids)
               .values_list("fulfillment_id", flat=True))
    for i, f in enumerate(rows):
        field = f"fulfillments[{i}]"
        if f.id in runs:
            raise Conflict("picking.in_another_run",
                           f"{f.number} is already in {PickRun(id=runs[f.id]).number}",
                           field=field)
        if f.status != ff.QUEUED:
            raise Conflict("picking.not_queued",
                           f"{f.number} is {f.status}, not in the pick queue", field=field)
        if f.id in held:
            raise Conflict("picking.held", f"{f.number} is held: release it first", field=field)


def _lock_run(pk: int) -> PickRun:
    run = PickRun.objects.select_for_update(of=("self",)).filter(id=pk).first()
    if run is None:
        raise NotFound("picking.unknown_run", f"no pick run {PickRun(id=pk).number}")
    return run


def _move_run(run: PickRun, new: str, *, actor_id: int | None, **payload) -> None:
    lifecycle.check(run.status, new)
    old, run.status = run.status, new
    fields = ["status"]
    now = timezone.now()
    if new == lifecycle.PICKING and run.started_at is None:
        run.started_at = now
        fields.append("started_at")
    if new in (lifecycle.DONE, lifecycle.CANCELLED):
        run.finished_at = now
        fields.append("finished_at")
    run.save(update_fields=fields)
    kind = {lifecycle.PICKING: EventType.PICK_RUN_STARTED, lifecycle.DONE: EventType.PICK_RUN_DONE,
            lifecycle.CANCELLED: EventType.PICK_RUN_CANCELLED}[new]
    record_event(type=kind, subject_type="pick_run", subject=run.number, actor_id=actor_id,
                 payload={"from": old, "to": new, **payload})


def picked_per_line(fulfillment_ids: Sequence[int]) -> dict[int, int]:
    """Units in totes per fulfillment line (picks not undone)."""
    return dict(Pick.objects.filter(fulfillment_id__in=list(fulfillment_ids),
                                    undone_at__isnull=True)
                .values("fulfillment_line_id").annotate(n=Sum("quantity"))
                .values_list("fulfillment_line_id", "n"))


def missing_per_line(fulfillment_ids: Sequence[int]) -> dict[int, int]:
    """Units reported missing on open issues per fulfillment line."""
    return dict(Issue.objects.filter(fulfillment_id__in=list(fulfillment_ids),
                                     status=IssueStatus.OPEN)
                .values("fulfillment_line_id").annotate(n=Sum("quantity"))
                .values_list("fulfillment_line_id", "n"))


def _work_left(fulfillment_ids: Sequence[int]) -> set[int]:
    """Of these fulfillments, those with units still to pick."""
    lines = list(FulfillmentLine.objects.filter(fulfillment_id__in=list(fulfillment_ids))
                 .values_list("id", "fulfillment_id", "quantity"))
    picked, missing = picked_per_line(fulfillment_ids), missing_per_line(fulfillment_ids)
    return {fid for lid, fid, q in lines if q - picked.get(lid, 0) - missing.get(lid, 0) > 0}


def _finish_run_if_done(run: PickRun, *, actor_id: int | None) -> bool:
    """A run is done when none of its fulfillments has units left to pick
    (picked, on the issues wall with the rest picked, or cancelled). Expects
    the run locked. Its fulfillments leave it (free for another run)."""
    if run.status not in lifecycle.ACTIVE:
        return False
    members = dict(PickRunFulfillment.objects.filter(run_id=run.id, active=True)
                   .values_list("fulfillment_id", "fulfillment__status"))
    busy = [fid for fid, status in members.items() if status in PICKABLE]
    if busy and _work_left(busy):
        return False
    PickRunFulfillment.objects.filter(run_id=run.id, active=True).update(active=False)
    if run.status == lifecycle.OPEN:
        _move_run(run, lifecycle.PICKING, actor_id=actor_id)
    _move_run(run, lifecycle.DONE, actor_id=actor_id)
    return True


@retry_on_lock_conflict
def cancel_pick_run(*, number: str, actor_id: int | None = None) -> PickRun:
    """Stop a run: fulfillments being picked go back to the queue (what is in
    their totes stays there and the next run goes on from it); picked ones
    stay picked. Done or cancelled: `picking.invalid_transition` (409).
    Writes `PickRunCancelled` and `FulfillmentQueued` per fulfillment."""
    pk = run_id(number)
    with transaction.atomic():
        ids = list(PickRunFulfillment.objects.filter(run_id=pk, active=True)
                   .values_list("fulfillment_id", flat=True))
        rows = list(Fulfillment.objects.select_for_update(of=("self",)).filter(id__in=ids)
                    .order_by("id"))
        run = _lock_run(pk)
        lifecycle.check(run.status, lifecycle.CANCELLED)
        back = []
        for f in rows:
            if f.status == ff.PICKING:
                move_fulfillment(f, ff.QUEUED, actor_id=actor_id)
                back.append(f.number)
        PickRunFulfillment.objects.filter(run_id=pk, active=True).update(active=False)
        _move_run(run, lifecycle.CANCELLED, actor_id=actor_id, requeued=back)
    return run


# -- picks ----------------------------------------------------------------------


@dataclass(frozen=True)
class PickResult:
    pick: Pick
    fulfillment: str
    fulfillment_status: str
    run_status: str
    sku: str
    location: str
    tote: str
    remaining: int  # units of this line still to pick


def _line_for(lines: Sequence[FulfillmentLine], product: Product, *, number: str,
              picked: dict[int, int], missing: dict[int, int]) -> tuple[FulfillmentLine, int]:
    mine = [x for x in lines if x.product_id == product.id]
    if not mine:
        raise Conflict("picking.wrong_product",
                       f"Wrong product: {product.sku} is not on {number}. Put it back.",
                       field="sku")
    for line in mine:
        due = line.quantity - picked.get(line.id, 0) - missing.get(line.id, 0)
        if due > 0:
            return line, due
    raise Conflict("picking.nothing_due",
                   f"All of {product.sku} for {number} is picked already. Put it back.",
                   field="sku")


def _held_at(order_line_id: int) -> list[tuple[int, str, int, int]]:
    """(stock level id, location code, pick sequence, units) the order line
    holds at sellable locations, best first."""
    return list(Allocation.objects.filter(
        order_line_id=order_line_id, stock_level__location__kind__in=SELLABLE_KINDS)
        .order_by("stock_level__location__pick_sequence", "stock_level__location__code")
        .values_list("stock_level_id", "stock_level__location__code",
                     "stock_level__location__pick_sequence", "quantity"))


@retry_on_lock_conflict
def record_pick(*, run: str, fulfillment: str, sku: str, location: str, quantity: int,
                tote: str, actor_id: int | None = None) -> PickResult:
    """A scan: `quantity` units of a product (SKU or UPC) taken from a
    location into a tote for one fulfillment of the run. The stock and its
    allocation move from the location into the tote's own location (two
    `picked` movements); the fulfillment goes `picking`, then `picked` when
    every line is in its tote; the run goes `picking`, then `done`.

    Refused (409, nothing changes) with a message a picker understands:
    `picking.wrong_product`, `picking.wrong_location` (naming where to pick
    it), `picking.nothing_due`, `picking.wrong_tote` (the fulfillment is in
    another tote), `picking.not_in_run`, `picking.run_closed`,
    `picking.not_pickable`; more than is due: `picking.more_than_due` (422);
    an unknown product, location, tote, run or fulfillment: 404.
    Locks the product's two stock levels, the fulfillment, then the run.
    Writes `StockPicked` (and the status events). The hot path of the
    floor: its reads are few set-based statements."""
    quantity = _quantity(quantity)
    rid = run_id(run)
    fid = _fulfillment_pk(fulfillment, field="fulfillment")
    for name, value in (("sku", sku), ("location", location), ("tote", tote)):
        if not isinstance(value, str) or not value.strip():
            raise InvalidValue("picking.missing_scan", f"scan the {name}", field=name)
    ctx = scan_context(run_id=rid, fulfillment_id=fid, product=sku.strip(),
                       location=location.strip(), tote=tote)
    number = Fulfillment(id=fid).number
    if ctx.product_id is None:
        raise NotFound("catalog.unknown_sku", f"{sku!r} is not a product's SKU or UPC",
                       field="sku")
    if ctx.location_id is None:
        raise NotFound("inventory.unknown_location", f"no location {location!r}",
                       field="location")
    if ctx.tote_id is None:
        raise NotFound("picking.unknown_tote", f"no tote {tote!r}: scan a tote's label",
                       field="tote")
    if ctx.location_kind not in SELLABLE_KINDS:
        raise Conflict("picking.wrong_location",
                       f"Wrong location: {ctx.location} is a {ctx.location_kind} location, "
                       "not a shelf.", field="location")
    # retry_on_lock_conflict runs this in its own transaction: no savepoint
    with transaction.atomic(savepoint=False):
        if not ctx.tote_level:  # the first time this product goes into this tote
            ensure_stock_levels([(ctx.product_id, ctx.tote_location_id)])
        levels = {lv.location_id: lv for lv in lock_stock_levels(
            product_ids=[ctx.product_id], location_ids=[ctx.location_id, ctx.tote_location_id])}
        # No stock level at the shelf: nothing is held there (a wrong location).
        source, target = levels.get(ctx.location_id), levels[ctx.tote_location_id]
        row = lock_fulfillment(fid)
        run_row = _lock_run(rid)
        if run_row.status not in lifecycle.ACTIVE:
            raise Conflict("picking.run_closed", f"{run_row.number} is {run_row.status}",
                           field="run")
        if not ctx.in_run:
            raise Conflict("picking.not_in_run", f"{number} is not in {run_row.number}",
                           field="fulfillment")
        if row.status not in PICKABLE:
            raise Conflict("picking.not_pickable", f"{number} is {row.status}: nothing to pick",
                           field="fulfillment")
        lines = lines_to_pick(fid, source_level_id=source.id if source else 0)
        mine = [x for x in lines if x[2] == ctx.product_id]
        if not mine:
            raise Conflict("picking.wrong_product",
                           f"Wrong product: {ctx.sku} is not on {number}. Put it back.",
                           field="sku")
        line = next((x for x in mine if x[3] - x[4] - x[5] > 0), None)
        if line is None:
            raise Conflict("picking.nothing_due",
                           f"All of {ctx.sku} for {number} is picked already. Put it back.",
                           field="sku")
        line_id, order_line_id, _, _, picked_before, missing, held, in_tote, in_code = line
        due = line[3] - picked_before - missing
        if quantity > due:
            raise InvalidValue("picking.more_than_due",
                               f"Too many: {number} needs {due} more of {ctx.sku}, "
                               f"not {quantity}.", field="quantity")
        if in_tote is not None and in_tote != ctx.tote_id:
            raise Conflict("picking.wrong_tote",
                           f"Wrong tote: {number} goes in tote {in_code}.", field="tote")
        if in_tote is None and ctx.tote_parked:
            raise Conflict("picking.tote_parked",
                           f"Tote {tote.strip().upper()} is on the issues wall: take another "
                           "tote.", field="tote")
        if source is None or held < quantity:
            where = [f"{code} ({q})" for _, code, _, q in _held_at(order_line_id)]
            raise Conflict(
                "picking.wrong_location",
                f"Wrong location: {ctx.sku} for {number} is not at {ctx.location}"
                + (f"; pick it from {', '.join(where)}." if where else "."),
                field="location")
        move_held_stock(moves=[HeldMove(source=source, target=target, quantity=quantity,
                                        allocated=quantity)],
                        kind=MovementKind.PICKED, reference=number, actor_id=actor_id)
        orders.shift_allocation(order_line_id=order_line_id, source_level_id=source.id,
                                target_level_id=target.id, quantity=quantity,
                                held_at_source=held)
        tote_code = tote.strip().upper()
        pick = Pick(run_id=rid, fulfillment_id=fid, fulfillment_line_id=line_id,
                    product_id=ctx.product_id, location_id=ctx.location_id,
                    tote_id=ctx.tote_id, quantity=quantity, picker_id=actor_id)
        batch = WriteBatch()
        batch.insert("pick", [pick])
        if in_tote is None:
            batch.insert("tote", [ToteContent(tote_id=ctx.tote_id, fulfillment_id=fid)])
        batch.insert("event", event_rows([dict(
            type=EventType.STOCK_PICKED, subject_type="fulfillment", subject=number,
            actor_id=actor_id,
            payload={"run": run_row.number, "sku": ctx.sku, "quantity": quantity,
                     "location": ctx.location, "tote": tote_code})]))
        batch.run()
        if run_row.status == lifecycle.OPEN:
            _move_run(run_row, lifecycle.PICKING, actor_id=actor_id)
        if row.status == ff.QUEUED:
            move_fulfillment(row, ff.PICKING, actor_id=actor_id)
            # its order's lines are no longer split by hand: the issues wall decides
            orders.mark_picking_started(order_id=row.order_id)
        done = {x[0]: x[4] for x in lines}
        done[line_id] += quantity
        left = [x for x in lines if x[3] - done[x[0]] - x[5] > 0]
        if row.status == ff.PICKING and all(done[x[0]] >= x[3] for x in lines):
            move_fulfillment(row, ff.PICKED, actor_id=actor_id)
        if row.status != ff.PICKING and not left:
            _finish_run_if_done(run_row, actor_id=actor_id)
    return PickResult(pick=pick, fulfillment=number, fulfillment_status=row.status,
                      run_status=run_row.status, sku=ctx.sku, location=ctx.location,
                      tote=tote_code, remaining=due - quantity)


@retry_on_lock_conflict
def undo_last_pick(*, run: str, actor_id: int | None = None) -> Pick:
    """Put the run's last scan back: the stock and its allocation go from the
    tote back to the location (two `picked` movements), the pick is marked
    undone, a picked fulfillment is `picking` again and a done run reopens.
    Nothing to undo: `picking.nothing_to_undo`; the fulfillment packed,
    dispatched, cancelled or back in the queue: `picking.cannot_undo` (409).
    Writes `PickUndone`."""
    rid = run_id(run)
    last = (Pick.objects.filter(run_id=rid, undone_at__isnull=True).order_by("-id")
            .select_related("tote", "product", "location").first())
    if last is None:
        if not PickRun.objects.filter(id=rid).exists():
            raise NotFound("picking.unknown_run", f"no pick run {run!r}")
        raise Conflict("picking.nothing_to_undo", f"{PickRun(id=rid).number} has no scan to undo")
    with transaction.atomic():
        levels = {lv.location_id: lv for lv in lock_stock_levels(
            product_ids=[last.product_id],
            location_ids=[last.location_id, last.tote.location_id])}
        row = lock_fulfillment(last.fulfillment_id)
        run_row = _lock_run(rid)
        again = (Pick.objects.select_for_update(of=("self",)).filter(
            run_id=rid, undone_at__isnull=True).order_by("-id").first())
        if again is None or again.id != last.id:
            raise Conflict("picking.nothing_to_undo",
                           "the last scan changed meanwhile: look at the run again")
        if row.status not in (ff.PICKING, ff.PICKED, ff.ISSUE):
            raise Conflict("picking.cannot_undo",
                           f"{row.number} is {row.status}: its last scan cannot be undone")
        other = _active_run_of(row.id)
        if other and other != run_row.number:
            raise Conflict("picking.cannot_undo", f"{row.number} is in {other} now")
        line = FulfillmentLine.objects.get(id=last.fulfillment_line_id)
        source, target = levels[last.tote.location_id], levels[last.location_id]
        move_held_stock(moves=[HeldMove(source=source, target=target, quantity=last.quantity,
                                        allocated=last.quantity)],
                        kind=MovementKind.PICKED, reference=row.number, note="undo",
                        actor_id=actor_id)
        orders.move_allocations(source_level_id=source.id, target_level_id=target.id,
                                line_quantities={line.order_line_id: last.quantity})
        last.undone_at = timezone.now()
        last.save(update_fields=["undone_at"])
        if not Pick.objects.filter(fulfillment_id=row.id, undone_at__isnull=True).exists():
            ToteContent.objects.filter(fulfillment_id=row.id).delete()
        if run_row.status == lifecycle.DONE:
            lifecycle.check(run_row.status, lifecycle.PICKING)
            run_row.status, run_row.finished_at = lifecycle.PICKING, None
            run_row.save(update_fields=["status", "finished_at"])
            PickRunFulfillment.objects.filter(run_id=rid, fulfillment_id=row.id).update(
                active=True)
            record_event(type=EventType.PICK_RUN_STARTED, subject_type="pick_run",
                         subject=run_row.number, actor_id=actor_id,
                         payload={"from": lifecycle.DONE, "to": lifecycle.PICKING,
                                  "reopened": True})
        if row.status == ff.PICKED:
            move_fulfillment(row, ff.PICKING, actor_id=actor_id)
        record_event(type=EventType.PICK_UNDONE, subject_type="fulfillment", subject=row.number,
                     actor_id=actor_id,
                     payload={"run": run_row.number, "sku": last.product.sku,
                              "quantity": last.quantity, "location": last.location.code,
                              "tote": last.tote.code})
    return last


# -- missing units -------------------------------------------------------------


@retry_on_lock_conflict
def mark_missing(*, fulfillment: str, sku: str, quantity: int, location: str,
                 actor_id: int | None = None) -> Issue:
    """The picker could not find `quantity` units of a product at a location
    (where the pick path sent them): an issue `IS-...` opens, the
    fulfillment goes `issue` and the picker goes on picking the rest; its
    tote goes to the issues wall once only issue work is left in it. No
    stock moves until a supervisor decides. More than is still due:
    `picking.more_than_due` (422); a product not on it:
    `picking.wrong_product`; a fulfillment that cannot be picked:
    `picking.not_pickable` (409). Writes `IssueReported` and
    `FulfillmentIssue`."""
    quantity = _quantity(quantity)
    fid = _fulfillment_pk(fulfillment, field="fulfillment")
    product = product_by_scan(sku)
    place = location_by_scan(location)
    if place.kind not in SELLABLE_KINDS:
        raise InvalidValue("picking.not_a_shelf",
                           f"{place.code} is a {place.kind} location: name the pick, bulk or "
                           "receiving location the product should have been in",
                           field="location")
    with transaction.atomic():
        row = lock_fulfillment(fid)
        if row.status not in PICKABLE:
            raise Conflict("picking.not_pickable",
                           f"{row.number} is {row.status}: nothing is being picked",
                           field="fulfillment")
        lines = list(FulfillmentLine.objects.filter(fulfillment_id=fid).order_by("id"))
        picked, missing = picked_per_line([fid]), missing_per_line([fid])
        line, due = _line_for(lines, product, number=row.number, picked=picked,
                              missing=missing)
        if quantity > due:
            raise InvalidValue("picking.more_than_due",
                               f"{row.number} has {due} of {product.sku} still to pick, so at "
                               f"most {due} can be missing", field="quantity")
        issue = Issue.objects.create(fulfillment=row, fulfillment_line=line,
                                     product_id=product.id, quantity=quantity, location=place,
                                     reported_by_id=actor_id)
        if row.status != ff.ISSUE:
            move_fulfillment(row, ff.ISSUE, actor_id=actor_id)
        record_event(type=EventType.ISSUE_REPORTED, subject_type="issue", subject=issue.number,
                     actor_id=actor_id,
                     payload={"fulfillment": row.number, "sku": product.sku,
                              "quantity": quantity, "location": place.code})
        content = ToteContent.objects.filter(fulfillment_id=fid).first()
        if content is not None and not _work_left([fid]):
            park_if_only_issues(tote_id=content.tote_id, actor_id=actor_id)
        rid = (PickRunFulfillment.objects.filter(fulfillment_id=fid, active=True)
               .values_list("run_id", flat=True).first())
        if rid is not None:
            _finish_run_if_done(_lock_run(rid), actor_id=actor_id)
    return issue


# -- packing -------------------------------------------------------------------


def _check_contents(fulfillment: Fulfillment) -> None:
    lines = list(FulfillmentLine.objects.filter(fulfillment_id=fulfillment.id)
                 .select_related("product"))
    picked = picked_per_line([fulfillment.id])
    short = [f"{x.product.sku} {picked.get(x.id, 0)} of {x.quantity}"
             for x in lines if picked.get(x.id, 0) != x.quantity]
    if short:
        raise Conflict("picking.contents_mismatch",
                       f"{fulfillment.number}: the tote does not hold what it needs "
                       f"({'; '.join(short)})")


def _pack_locked(fulfillment: Fulfillment, *, actor_id: int | None) -> None:
    if fulfillment.status == ff.ISSUE:
        raise Conflict("picking.on_issues_wall",
                       f"{fulfillment.number} has an open issue: a supervisor decides first")
    if fulfillment.status != ff.PICKED:
        raise Conflict("picking.not_picked",
                       f"{fulfillment.number} is {fulfillment.status}: only picked "
                       "fulfillments are packed")
    _check_contents(fulfillment)
    ToteContent.objects.filter(fulfillment_id=fulfillment.id).delete()
    move_fulfillment(fulfillment, ff.PACKED, actor_id=actor_id)


@retry_on_lock_conflict
def pack_fulfillment(*, number: str, actor_id: int | None = None) -> Fulfillment:
    """Pack one picked fulfillment: its tote's contents are checked against
    its lines (`picking.contents_mismatch`), it leaves the tote (freed when
    empty) and goes `packed`. On the issues wall: `picking.on_issues_wall`;
    not picked: `picking.not_picked` (409)."""
    fid = fulfillment_id(number)
    with transaction.atomic():
        row = lock_fulfillment(fid)
        tote = ToteContent.objects.filter(fulfillment_id=fid).values_list("tote_id",
                                                                          flat=True).first()
        _pack_locked(row, actor_id=actor_id)
        if tote is not None:
            park_if_only_issues(tote_id=tote, actor_id=actor_id)
    return row


@dataclass(frozen=True)
class PackedTote:
    tote: str
    packed: list[str]
    left: list[tuple[str, str]]  # (fulfillment, status) still in the tote
    parked: bool  # sent to the issues wall


@retry_on_lock_conflict
def pack_tote(*, code: str, actor_id: int | None = None) -> PackedTote:
    """The pack station: every picked fulfillment in the tote is packed;
    issue ones (and any still being picked) stay in it, and a tote left
    with only issue work goes to the issues wall. Nothing to pack:
    `picking.nothing_to_pack` (409)."""
    tote = tote_by_code(code, field="code")
    with transaction.atomic():
        ids = list(ToteContent.objects.filter(tote_id=tote.id)
                   .values_list("fulfillment_id", flat=True))
        rows = list(Fulfillment.objects.select_for_update(of=("self",)).filter(id__in=ids)
                    .order_by("id"))
        packed, left = [], []
        for row in rows:
            if row.status == ff.PICKED:
                _pack_locked(row, actor_id=actor_id)
                packed.append(row.number)
            else:
                left.append((row.number, row.status))
        if not packed:
            raise Conflict("picking.nothing_to_pack",
                           f"tote {tote.code} holds nothing ready to pack"
                           + (": " + ", ".join(f"{n} is {s}" for n, s in left) if left else ""),
                           field="code")
        parked = park_if_only_issues(tote_id=tote.id, actor_id=actor_id)
    return PackedTote(tote=tote.code, packed=packed, left=left, parked=parked)


# -- back from waiting -----------------------------------------------------------


def requeue_backordered_fulfillments(*, product_ids: Sequence[int] = (),
                                     fulfillment_ids: Sequence[int] = (),
                                     actor_id: int | None = None) -> list[str]:
    """Fulfillments waiting (status `backorder`) for missing units whose
    stock is now allocated to them go back to the pick queue by themselves
    (seed 000: "return backorders to the pick queue"). Called after stock is
    fed to backorders, in the same transaction, with the products fed or
    the fulfillments to look at; locks those fulfillments. Writes
    `FulfillmentQueued` for each."""
    qs = Fulfillment.objects.filter(status=ff.BACKORDER)
    if product_ids or fulfillment_ids:
        qs = qs.filter(Q(id__in=list(fulfillment_ids))
                       | Q(lines__product_id__in=list(product_ids)))
    else:
        return []
    ids = sorted(set(qs.values_list("id", flat=True)))
    if not ids:
        return []
    rows = list(Fulfillment.objects.select_for_update(of=("self",)).filter(
        id__in=ids, status=ff.BACKORDER).order_by("id"))
    need: dict[int, dict[int, int]] = defaultdict(dict)
    held: dict[int, int] = {}
    for fid, bl, q, allocated in FulfillmentLine.objects.filter(
            fulfillment_id__in=[r.id for r in rows], backorder_line__isnull=False).values_list(
            "fulfillment_id", "backorder_line_id", "quantity", "backorder_line__allocated"):
        need[fid][bl] = need[fid].get(bl, 0) + q
        held[bl] = allocated
    back = []
    for row in rows:
        if all(held[bl] >= q for bl, q in need[row.id].items()):
            move_fulfillment(row, ff.QUEUED, actor_id=actor_id)
            back.append(row.number)
    return back


def put_back_picks(*, fulfillment_ids: Sequence[int], actor_id: int | None = None) -> int:
    """A fulfillment cancelled with units in its tote: the stock and its
    allocation go back to the shelves they were picked from (two `picked`
    movements each, noted "put back"), its picks are marked undone and it
    leaves its tote. Expects the stock levels of its products locked (they
    come first in the global order) and the fulfillments locked. Returns
    the units put back."""
    picks = list(Pick.objects.filter(fulfillment_id__in=list(fulfillment_ids),
                                     undone_at__isnull=True)
                 .select_related("tote", "fulfillment_line", "fulfillment", "product")
                 .order_by("id"))
    if not picks:
        return 0
    grouped: dict[tuple[int, int, int, int], int] = defaultdict(int)
    for p in picks:
        grouped[(p.product_id, p.location_id, p.tote.location_id,
                 p.fulfillment_line.order_line_id)] += p.quantity
    pairs = {(pid, loc) for pid, a, b, _ in grouped for loc in (a, b)}
    levels = {(lv.product_id, lv.location_id): lv for lv in lock_stock_levels(
        product_ids={pid for pid, _ in pairs}, location_ids={loc for _, loc in pairs})}
    for (pid, shelf, tote_place, order_line_id), units in sorted(grouped.items()):
        source, target = levels[(pid, tote_place)], levels[(pid, shelf)]
        move_held_stock(moves=[HeldMove(source=source, target=target, quantity=units,
                                        allocated=units)],
                        kind=MovementKind.PICKED, note="put back", actor_id=actor_id,
                        reference=picks[0].fulfillment.number)
        orders.move_allocations(source_level_id=source.id, target_level_id=target.id,
                                line_quantities={order_line_id: units})
    Pick.objects.filter(id__in=[p.id for p in picks]).update(undone_at=timezone.now())
    record_events([{"type": EventType.PICK_UNDONE, "subject_type": "fulfillment",
                    "subject": p.fulfillment.number, "actor_id": actor_id,
                    "payload": {"sku": p.product.sku, "quantity": p.quantity, "put_back": True,
                                "tote": p.tote.code}} for p in picks])
    for fid in {p.fulfillment_id for p in picks}:
        leave_tote(fulfillment_id=fid, actor_id=actor_id)
    return sum(p.quantity for p in picks)


def refresh_picked(*, fulfillment_numbers: Sequence[str], actor_id: int | None = None) -> None:
    """Fulfillments being picked that lost their unpicked units (stock lost
    on the shelf took them) are `picked` when what is left is all in the
    tote, and their run is done when nothing is left to pick. Expects the
    fulfillments locked."""
    ids = [fulfillment_id(n) for n in fulfillment_numbers]
    rows = list(Fulfillment.objects.filter(id__in=ids, status=ff.PICKING).order_by("id"))
    if not rows:
        return
    left = _work_left([r.id for r in rows])
    for row in rows:
        if row.id not in left:
            move_fulfillment(row, ff.PICKED, actor_id=actor_id)
            rid = (PickRunFulfillment.objects.filter(fulfillment_id=row.id, active=True)
                   .values_list("run_id", flat=True).first())
            if rid is not None:
                _finish_run_if_done(_lock_run(rid), actor_id=actor_id)

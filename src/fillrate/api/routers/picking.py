"""The warehouse floor: the pick queue, pick runs and scans, totes, missing
items and the issues wall, packing and batch dispatch."""

from __future__ import annotations

import datetime as dt

from django.http import HttpResponse
from ninja import Field, Query, Router, Schema

from fillrate.api.auth import actor_id, needs
from fillrate.api.pagination import PageParams, paginate
from fillrate.api.routers.fulfillments import FulfillmentOut
from fillrate.api.routers.fulfillments import detail as fulfillment_detail
from fillrate.api.schemas import CODE as CODE_PATTERN
from fillrate.api.schemas import (
    PLACE_CODE,
    QUANTITY,
    SPACE,
    Count,
    Filter,
    Money,
    OneOf,
    Page,
    RequestSchema,
)
from fillrate.inventory.models import SELLABLE_KINDS
from fillrate.picking import selectors
from fillrate.picking.models import IssueStatus, PickRun, PickRunStatus, Resolution
from fillrate.picking.path import PickStep
from fillrate.picking.services import (
    MAX_RUN,
    PickResult,
    cancel_pick_run,
    create_pick_run,
    hold_fulfillment,
    mark_missing,
    pack_fulfillment,
    pack_tote,
    record_pick,
    release_fulfillment,
    undo_last_pick,
)
from fillrate.picking.totes import create_tote, tote_by_code, tote_label_svg
from fillrate.workflows.dispatch import dispatch_fulfillments
from fillrate.workflows.resolve_issue import resolve_issue

router = Router(tags=["warehouse floor"])

CODE = Field(..., min_length=1, max_length=64, json_schema_extra=CODE_PATTERN)
PLACE = Field(..., min_length=1, max_length=64, json_schema_extra=PLACE_CODE)
# A tote's code as picking.totes checks it (the spaces around it stripped).
TOTE_CODE = {"pattern": f"^[{SPACE}]*[A-Za-z0-9][A-Za-z0-9._-]{{0,23}}[{SPACE}]*$"}
TOTE_STATUSES = ("free", "in_use", "issues")


# -- the pick queue ------------------------------------------------------------


class QueueLineOut(Schema):
    sku: str
    quantity: int


class QueueItemOut(Schema):
    fulfillment: str
    order: str
    customer: str
    vip: bool
    priority: str
    backorder: str | None
    created_at: dt.datetime
    order_placed_at: dt.datetime
    units: int
    held: bool
    hold_reason: str
    lines: list[QueueLineOut]


def render_queue_item(f) -> dict:
    hold = getattr(f, "queue_hold", None)
    return {
        "fulfillment": f.number, "order": f.order.number, "customer": f.order.customer.code,
        "vip": f.order.customer.vip, "priority": "high" if f.high else "normal",
        "backorder": f.backorder.number if f.backorder_id else None,
        "created_at": f.created_at, "order_placed_at": f.order.created_at,
        "units": f.units or 0, "held": hold is not None,
        "hold_reason": hold.reason if hold is not None else "",
        "lines": [{"sku": x.product.sku, "quantity": x.quantity} for x in f.lines.all()],
    }


class QueueFilters(Schema):
    zone: str | None = Field(None, max_length=32)
    location_kind: Filter(SELLABLE_KINDS) | None = None
    held: bool = False


@router.get("/pick-queue", response=Page[QueueItemOut], auth=needs("picking.view"))
def get_pick_queue(request, filters: Query[QueueFilters], page: Query[PageParams]):
    """Queued fulfillments, high-priority backorders and VIP customers first,
    then the oldest order; `zone` and `location_kind` keep those with stock
    held there; `held=true` lists the held ones instead."""
    return paginate(selectors.pick_queue(**filters.dict()), page, render_queue_item)


class HoldIn(RequestSchema):
    reason: str = Field("", max_length=300)


class HoldOut(Schema):
    fulfillment: str
    held: bool
    reason: str


@router.post("/fulfillments/{number}/hold", response=HoldOut, auth=needs("picking.hold"))
def post_hold(request, number: str, payload: HoldIn | None = None):
    payload = payload or HoldIn()
    hold = hold_fulfillment(number=number, reason=payload.reason, actor_id=actor_id(request))
    return {"fulfillment": hold.fulfillment.number, "held": True, "reason": hold.reason}


@router.post("/fulfillments/{number}/release", response=HoldOut, auth=needs("picking.hold"))
def post_release(request, number: str):
    f = release_fulfillment(number=number, actor_id=actor_id(request))
    return {"fulfillment": f.number, "held": False, "reason": ""}


# -- pick runs -------------------------------------------------------------------


class StepOut(Schema):
    fulfillment: str
    location: str | None
    pick_sequence: int | None
    zone: str
    sku: str
    upc: str
    name: str
    quantity: int
    picked: int
    remaining: int
    tote: str | None


def render_step(s: PickStep) -> dict:
    return {"fulfillment": s.fulfillment, "location": s.location or None,
            "pick_sequence": s.pick_sequence, "zone": s.zone, "sku": s.sku, "upc": s.upc,
            "name": s.name, "quantity": s.quantity, "picked": s.picked,
            "remaining": s.remaining, "tote": s.tote}


class MemberOut(Schema):
    fulfillment: str
    status: str
    order: str
    customer: str
    tote: str | None
    in_run: bool


class RunOut(Schema):
    number: str
    status: str
    picker: str | None
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    units: int
    picked: int
    fulfillments: list[MemberOut]
    next: StepOut | None
    path: list[StepOut]


def run_out(number: str) -> dict:
    d = selectors.run_detail(number)
    return {
        "number": d.run.number, "status": d.run.status,
        "picker": d.run.picker.username if d.run.picker_id else None,
        "created_at": d.run.created_at, "started_at": d.run.started_at,
        "finished_at": d.run.finished_at, "units": d.units, "picked": d.picked,
        "fulfillments": [{"fulfillment": m.fulfillment, "status": m.status, "order": m.order,
                          "customer": m.customer, "tote": m.tote, "in_run": m.active}
                         for m in d.members],
        "next": render_step(d.next) if d.next else None,
        "path": [render_step(s) for s in d.path],
    }


class RunIn(RequestSchema):
    # the fulfillments named, or max_fulfillments, not both
    RULES = {"not": {"required": ["fulfillments", "max_fulfillments"],
                     "properties": {"fulfillments": {"type": "array"},
                                    "max_fulfillments": {"type": "integer"}}}}

    fulfillments: list[str] | None = Field(None, json_schema_extra={
        "minItems": 1, "maxItems": MAX_RUN, "uniqueItems": True})
    max_fulfillments: Count | None = Field(None, json_schema_extra={
        "minimum": 1, "maximum": MAX_RUN})
    picker: str | None = Field(None, min_length=1, max_length=150)
    tote: str | None = Field(None, min_length=1, max_length=64, json_schema_extra=TOTE_CODE)
    zone: str | None = Field(None, max_length=32)
    location_kind: Filter(SELLABLE_KINDS) | None = None


@router.post("/pick-runs", response={201: RunOut}, auth=needs("picking.pick"))
def post_pick_run(request, payload: RunIn | None = None):
    """A run of the named fulfillments, or of the first `max_fulfillments`
    (10) of the queue, with its pick path. Work another run has is 409."""
    payload = payload or RunIn()
    run = create_pick_run(actor_id=actor_id(request), **payload.dict())
    return 201, run_out(run.number)


class RunSummaryOut(Schema):
    number: str
    status: str
    picker: str | None
    created_at: dt.datetime
    finished_at: dt.datetime | None
    fulfillment_count: int


class RunFilters(Schema):
    status: Filter(PickRunStatus.values) | None = None


@router.get("/pick-runs", response=Page[RunSummaryOut], auth=needs("picking.view"))
def list_pick_runs(request, filters: Query[RunFilters], page: Query[PageParams]):
    return paginate(selectors.pick_runs(status=filters.status), page, lambda r: {
        "number": r.number, "status": r.status,
        "picker": r.picker.username if r.picker_id else None, "created_at": r.created_at,
        "finished_at": r.finished_at, "fulfillment_count": r.fulfillment_count})


@router.get("/pick-runs/{number}", response=RunOut, auth=needs("picking.view"))
def get_pick_run(request, number: str):
    return run_out(number)


@router.post("/pick-runs/{number}/cancel", response=RunOut, auth=needs("picking.pick"))
def post_cancel_run(request, number: str):
    run = cancel_pick_run(number=number, actor_id=actor_id(request))
    return run_out(run.number)


class PickIn(RequestSchema):
    fulfillment: str = CODE
    sku: str = CODE
    location: str = PLACE
    quantity: Count = Field(..., json_schema_extra=QUANTITY)
    tote: str = Field(..., json_schema_extra=TOTE_CODE)


class PickOut(Schema):
    id: int
    run: str
    fulfillment: str
    sku: str
    location: str
    tote: str
    quantity: int
    undone: bool
    fulfillment_status: str
    run_status: str
    remaining: int


def _pick_out(run: str, result: PickResult) -> dict:
    return {"id": result.pick.id, "run": run, "fulfillment": result.fulfillment,
            "sku": result.sku, "location": result.location, "tote": result.tote,
            "quantity": result.pick.quantity, "undone": False,
            "fulfillment_status": result.fulfillment_status, "run_status": result.run_status,
            "remaining": result.remaining}


@router.post("/pick-runs/{number}/picks", response={201: PickOut}, auth=needs("picking.pick"))
def post_pick(request, number: str, payload: PickIn):
    """One scan. A wrong product, location or tote is 409 and more than is
    due 422, each with a message for the picker."""
    result = record_pick(run=number, actor_id=actor_id(request), **payload.dict())
    return 201, _pick_out(PickRun(id=result.pick.run_id).number, result)


@router.delete("/pick-runs/{number}/picks/last", response=PickOut, auth=needs("picking.pick"))
def delete_last_pick(request, number: str):
    """Undo the run's last scan: the units go back to their location."""
    pick = undo_last_pick(run=number, actor_id=actor_id(request))
    f = pick.fulfillment
    f.refresh_from_db(fields=["status"])
    run = selectors.run_by_number(number)
    return {"id": pick.id, "run": run.number, "fulfillment": f.number, "sku": pick.product.sku,
            "location": pick.location.code, "tote": pick.tote.code, "quantity": pick.quantity,
            "undone": True, "fulfillment_status": f.status, "run_status": run.status,
            "remaining": 0}


# -- totes -------------------------------------------------------------------------


class ToteIn(RequestSchema):
    code: str = Field(..., json_schema_extra=TOTE_CODE)
    warehouse: str | None = Field(None, min_length=1, max_length=32, json_schema_extra=PLACE_CODE)


class ToteOut(Schema):
    code: str
    status: str
    warehouse: str
    place: str | None
    created_at: dt.datetime


def render_tote(t, in_use: bool) -> dict:
    return {"code": t.code, "status": selectors.tote_status(t, in_use),
            "warehouse": t.location.warehouse.code,
            "place": t.place.code if t.place_id else None, "created_at": t.created_at}


@router.post("/totes", response={201: ToteOut}, auth=needs("picking.pick"))
def post_tote(request, payload: ToteIn):
    tote = create_tote(code=payload.code, warehouse=payload.warehouse,
                       actor_id=actor_id(request))
    return 201, render_tote(selectors.tote_detail(tote.code).tote, False)


class ToteFilters(Schema):
    status: Filter(TOTE_STATUSES) | None = None


@router.get("/totes", response=Page[ToteOut], auth=needs("picking.view"))
def list_totes(request, filters: Query[ToteFilters], page: Query[PageParams]):
    """`status`: `free`, `in_use`, `issues` (on the issues wall)."""
    return paginate(selectors.totes(status=filters.status), page,
                    lambda t: render_tote(t, t.in_use))


class ToteItemOut(Schema):
    fulfillment: str
    status: str
    order: str
    sku: str
    name: str
    quantity: int
    picked: int


class ToteDetailOut(ToteOut):
    fulfillments: list[MemberOut]
    items: list[ToteItemOut]


@router.get("/totes/{code}", response=ToteDetailOut, auth=needs("picking.view"))
def get_tote(request, code: str):
    d = selectors.tote_detail(code)
    orders = {x.fulfillment: x.order for x in d.items}
    return {**render_tote(d.tote, bool(d.fulfillments)),
            "fulfillments": [{"fulfillment": n, "status": s, "order": orders.get(n, ""),
                              "customer": "", "tote": d.tote.code, "in_run": False}
                             for n, s in d.fulfillments],
            "items": [x.__dict__ for x in d.items]}


LABEL_RESPONSE = {"responses": {200: {
    "description": "the tote's Code 128 label",
    "content": {"image/svg+xml": {"schema": {"type": "string"}}}}}}


@router.get("/totes/{code}/label.svg", auth=needs("picking.view"),
            openapi_extra=LABEL_RESPONSE)
def get_tote_label(request, code: str):
    tote = tote_by_code(code, field="code")
    response = HttpResponse(tote_label_svg(tote.code), content_type="image/svg+xml")
    response["Content-Disposition"] = f'inline; filename="tote-{tote.code}.svg"'
    return response


class PackedToteOut(Schema):
    tote: str
    packed: list[str]
    left: list[MemberOut]
    parked: bool


@router.post("/totes/{code}/pack", response=PackedToteOut, auth=needs("picking.pick"))
def post_pack_tote(request, code: str):
    """Pack every picked fulfillment in the tote; issue ones stay in it and
    the tote goes to the issues wall when only they are left."""
    done = pack_tote(code=code, actor_id=actor_id(request))
    return {"tote": done.tote, "packed": done.packed,
            "left": [{"fulfillment": n, "status": s, "order": "", "customer": "",
                      "tote": done.tote, "in_run": False} for n, s in done.left],
            "parked": done.parked}


@router.post("/fulfillments/{number}/pack", response=FulfillmentOut,
             auth=needs("picking.pick"))
def post_pack_fulfillment(request, number: str):
    f = pack_fulfillment(number=number, actor_id=actor_id(request))
    return fulfillment_detail(f.number)


class DispatchManyIn(RequestSchema):
    fulfillments: list[str] = Field(..., min_length=1, max_length=500,
                                    json_schema_extra={"uniqueItems": True})
    carrier: str = Field(..., min_length=1, max_length=100)
    tracking_number: str = Field("", max_length=100)


class DispatchedOut(Schema):
    fulfillments: list[FulfillmentOut]


@router.post("/fulfillments/dispatch", response=DispatchedOut,
             auth=needs("fulfilment.manage"))
def post_dispatch_many(request, payload: DispatchManyIn):
    """Dispatch several fulfillments with one carrier, all or none."""
    done = dispatch_fulfillments(numbers=payload.fulfillments, carrier=payload.carrier,
                                 tracking_number=payload.tracking_number,
                                 actor_id=actor_id(request))
    return {"fulfillments": [fulfillment_detail(f.number) for f in done]}


# -- missing items and the issues wall --------------------------------------------


class MissingIn(RequestSchema):
    sku: str = CODE
    quantity: Count = Field(..., json_schema_extra=QUANTITY)
    location: str = PLACE


class ElsewhereOut(Schema):
    location: str
    kind: str
    on_hand: int
    allocated: int


class RecentReceiptOut(Schema):
    received_at: dt.datetime
    location: str
    quantity: int
    reference: str


class IssueOut(Schema):
    number: str
    status: str
    fulfillment: str
    fulfillment_status: str
    order: str
    customer: str
    tote: str | None
    sku: str
    name: str
    quantity: int
    location: str
    created_at: dt.datetime
    resolution: str | None
    found_at: str | None
    backorder: str | None
    money_owed: Money | None
    notes: str
    resolved_at: dt.datetime | None
    elsewhere: list[ElsewhereOut]
    recent_receipts: list[RecentReceiptOut]


def render_issue(w: selectors.WallIssue) -> dict:
    x = w.issue
    return {
        "number": x.number, "status": x.status, "fulfillment": x.fulfillment.number,
        "fulfillment_status": x.fulfillment.status, "order": w.order, "customer": w.customer,
        "tote": w.tote, "sku": x.product.sku, "name": x.product.name, "quantity": x.quantity,
        "location": x.location.code, "created_at": x.created_at,
        "resolution": x.resolution or None, "found_at": x.found_at.code if x.found_at else None,
        "backorder": x.backorder_number or None, "money_owed": x.money_owed, "notes": x.notes,
        "resolved_at": x.resolved_at,
        "elsewhere": [e.__dict__ for e in w.elsewhere],
        "recent_receipts": [{"received_at": r.created_at, "location": r.location,
                             "quantity": r.quantity, "reference": r.reference}
                            for r in w.receipts],
    }


def issue_out(number: str) -> dict:
    return render_issue(selectors.issues_wall([selectors.issue_by_number(number)])[0])


@router.post("/fulfillments/{number}/missing", response={201: IssueOut},
             auth=needs("picking.pick"))
def post_missing(request, number: str, payload: MissingIn):
    """The picker marks units missing and goes on picking the rest."""
    issue = mark_missing(fulfillment=number, actor_id=actor_id(request), **payload.dict())
    return 201, issue_out(issue.number)


class IssueFilters(Schema):
    status: Filter(IssueStatus.values) | None = "open"


@router.get("/issues", response=Page[IssueOut], auth=needs("picking.view"))
def list_issues(request, filters: Query[IssueFilters], page: Query[PageParams]):
    """The issues wall (`status=open` by default; `resolved`; empty for all),
    each with where else the product is recorded and its recent receipts."""
    rows = selectors.issues(status=filters.status or None)
    count = rows.count()
    window = list(rows[page.offset: page.offset + page.limit])
    return {"items": [render_issue(w) for w in selectors.issues_wall(window)], "count": count}


@router.get("/issues/{number}", response=IssueOut, auth=needs("picking.view"))
def get_issue(request, number: str):
    return issue_out(number)


class ResolveIn(RequestSchema):
    # a location goes with `found` (where the units were), with nothing else
    RULES = {"if": {"properties": {"action": {"const": "found"}}, "required": ["action"]},
             "then": {"required": ["location"], "properties": {"location": {"type": "string"}}},
             "else": {"properties": {"location": {"type": "null"}}}}

    # (found last: the document's example needs no location)
    action: OneOf(sorted(Resolution.values, key=lambda v: v == Resolution.FOUND))
    location: str | None = Field(None, min_length=1, max_length=64, json_schema_extra=PLACE_CODE)
    notes: str = Field("", max_length=500)


@router.post("/issues/{number}/resolve", response=IssueOut, auth=needs("picking.resolve"))
def post_resolve(request, number: str, payload: ResolveIn):
    """`found` {location}, `cancel`, `split` or `wait` (supervisors)."""
    resolved = resolve_issue(number=number, actor_id=actor_id(request), **payload.dict())
    return issue_out(resolved.issue.number)

"""Pick runs, scans, undo, missing units and packing through the services."""

from __future__ import annotations

import pytest

from fillrate.core.errors import Conflict, InvalidValue
from fillrate.fulfilment.models import Fulfillment
from fillrate.inventory.models import StockMovement
from fillrate.picking.models import Pick, PickRun, ToteContent
from fillrate.picking.selectors import run_detail, tote_detail
from fillrate.picking.services import (
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
from tests.orders.support import levels, snapshot
from tests.picking.support import queued, tote

pytestmark = pytest.mark.django_db


def status(f) -> str:
    return Fulfillment.objects.get(id=f.id).status


def test_a_run_picks_into_the_tote_and_the_stock_follows(store):
    f = queued("C-ACME", ("WIDGET", 2), ("GADGET", 1))
    box = tote()
    run = create_pick_run(fulfillments=[f.number])
    detail = run_detail(run.number)
    assert [(s.location, s.sku, s.quantity, s.picked) for s in detail.path] == [
        ("A-01", "GADGET", 1, 0), ("A-01", "WIDGET", 2, 0)]
    result = record_pick(run=run.number, fulfillment=f.number, sku="widget", location="A-01",
                         quantity=2, tote=box.code)
    assert (result.fulfillment_status, result.run_status, result.remaining) == (
        "picking", "picking", 0)
    assert levels("WIDGET") == {"A-01": (13, 0), "B-01": (5, 0), "tote:T1": (2, 2)}
    record_pick(run=run.number, fulfillment=f.number, sku=store.gadget.upc or "GADGET",
                location="A-01", quantity=1, tote="t1")
    assert status(f) == "picked"
    assert PickRun.objects.get(id=run.id).status == "done"
    assert list(StockMovement.objects.filter(kind="picked").values_list("quantity", flat=True)
                .order_by("id")) == [-2, 2, -1, 1]
    assert tote_detail("T1").status == "in_use"
    packed = pack_tote(code="T1")
    assert packed.packed == [f.number] and packed.left == [] and not packed.parked
    assert status(f) == "packed" and tote_detail("T1").status == "free"


def test_wrong_scans_are_refused_in_words_and_change_nothing(store):
    f = queued("C-ACME", ("WIDGET", 2))
    tote()
    tote("T2")
    run = create_pick_run(fulfillments=[f.number])
    before = snapshot()
    cases = [
        (dict(sku="GADGET", location="A-01", quantity=1, tote="T1"), "picking.wrong_product"),
        (dict(sku="WIDGET", location="B-01", quantity=1, tote="T1"), "picking.wrong_location"),
        (dict(sku="WIDGET", location="A-01", quantity=3, tote="T1"), "picking.more_than_due"),
    ]
    for kwargs, code in cases:
        with pytest.raises((Conflict, InvalidValue)) as err:
            record_pick(run=run.number, fulfillment=f.number, **kwargs)
        assert err.value.code == code
    assert snapshot() == before
    record_pick(run=run.number, fulfillment=f.number, sku="WIDGET", location="A-01",
                quantity=1, tote="T1")
    with pytest.raises(Conflict) as err:
        record_pick(run=run.number, fulfillment=f.number, sku="WIDGET", location="A-01",
                    quantity=1, tote="T2")
    assert err.value.code == "picking.wrong_tote" and "T1" in err.value.message


def test_the_wrong_location_message_says_where_to_pick(store):
    f = queued("C-ACME", ("WIDGET", 2))
    tote()
    run = create_pick_run(fulfillments=[f.number])
    with pytest.raises(Conflict) as err:
        record_pick(run=run.number, fulfillment=f.number, sku="WIDGET", location="B-01",
                    quantity=1, tote="T1")
    assert err.value.message == ("Wrong location: WIDGET for " + f.number
                                 + " is not at B-01; pick it from A-01 (2).")


def test_undo_puts_the_last_scan_back_and_reopens_a_done_run(store):
    f = queued("C-ACME", ("WIDGET", 2))
    tote()
    run = create_pick_run(fulfillments=[f.number])
    record_pick(run=run.number, fulfillment=f.number, sku="WIDGET", location="A-01",
                quantity=2, tote="T1")
    assert status(f) == "picked" and PickRun.objects.get(id=run.id).status == "done"
    undone = undo_last_pick(run=run.number)
    assert undone.undone_at is not None
    assert status(f) == "picking" and PickRun.objects.get(id=run.id).status == "picking"
    assert levels("WIDGET") == {"A-01": (15, 2), "B-01": (5, 0), "tote:T1": (0, 0)}
    assert not ToteContent.objects.exists()
    with pytest.raises(Conflict) as err:
        undo_last_pick(run=run.number)
    assert err.value.code == "picking.nothing_to_undo"


def test_a_multi_order_tote_packs_the_good_ones_and_parks_the_issue(store, issues_location):
    a = queued("C-ACME", ("WIDGET", 2))
    b = queued("C-VIP", ("WIDGET", 1))
    c = queued("C-ACME", ("GADGET", 2))
    tote()
    run = create_pick_run(fulfillments=[a.number, b.number, c.number], tote="T1")
    for f, sku, q in ((a, "WIDGET", 2), (b, "WIDGET", 1), (c, "GADGET", 1)):
        record_pick(run=run.number, fulfillment=f.number, sku=sku, location="A-01",
                    quantity=q, tote="T1")
    issue = mark_missing(fulfillment=c.number, sku="GADGET", quantity=1, location="A-01")
    assert issue.number == f"IS-{issue.id:06d}"
    assert [status(x) for x in (a, b, c)] == ["picked", "picked", "issue"]
    assert PickRun.objects.get(id=run.id).status == "done"
    with pytest.raises(Conflict) as err:
        pack_fulfillment(number=c.number)
    assert err.value.code == "picking.on_issues_wall"
    packed = pack_tote(code="T1")
    assert packed.packed == [a.number, b.number] and packed.left == [(c.number, "issue")]
    assert packed.parked and tote_detail("T1").status == "issues"
    assert tote_detail("T1").tote.place.code == "ISSUES"


def test_the_queue_order_holds_and_a_cancelled_run(store):
    old = queued("C-ACME", ("WIDGET", 1))
    vip = queued("C-VIP", ("WIDGET", 1))
    hold_fulfillment(number=old.number, reason="address check")
    with pytest.raises(Conflict) as err:
        create_pick_run(fulfillments=[old.number])
    assert err.value.code == "picking.held"
    release_fulfillment(number=old.number)
    run = create_pick_run(max_fulfillments=5)
    assert [m.fulfillment for m in run_detail(run.number).members] == [vip.number, old.number]
    with pytest.raises(Conflict) as err:
        create_pick_run(fulfillments=[vip.number])
    assert err.value.code == "picking.in_another_run"
    tote()
    record_pick(run=run.number, fulfillment=vip.number, sku="WIDGET", location="A-01",
                quantity=1, tote="T1")
    cancel_pick_run(number=run.number)
    assert status(vip) == "picked" and status(old) == "queued"
    again = create_pick_run()
    assert [m.fulfillment for m in run_detail(again.number).members] == [old.number]
    assert Pick.objects.count() == 1


def test_cancelling_puts_picked_units_back_on_their_shelves(store):
    from fillrate.workflows.cancel_order import cancel_order
    from fillrate.workflows.dispatch import cancel_fulfillment

    f = queued("C-ACME", ("WIDGET", 2))
    g = queued("C-VIP", ("GADGET", 1))
    tote()
    tote("T2")
    run = create_pick_run(fulfillments=[f.number, g.number])
    record_pick(run=run.number, fulfillment=f.number, sku="WIDGET", location="A-01",
                quantity=2, tote="T1")
    record_pick(run=run.number, fulfillment=g.number, sku="GADGET", location="A-01",
                quantity=1, tote="T2")
    cancel_fulfillment(number=f.number)
    assert levels("WIDGET") == {"A-01": (15, 2), "B-01": (5, 0), "tote:T1": (0, 0)}
    assert tote_detail("T1").status == "free"
    cancel_order(number=g.order.number)
    assert levels("GADGET") == {"A-01": (3, 0), "tote:T2": (0, 0)}
    assert tote_detail("T2").status == "free"
    assert not Pick.objects.filter(undone_at__isnull=True).exists()


def test_a_shelf_that_never_held_the_product_is_a_wrong_location(store):
    f = queued("C-ACME", ("GADGET", 1))
    tote()
    run = create_pick_run(fulfillments=[f.number])
    before = snapshot()
    with pytest.raises(Conflict) as err:
        record_pick(run=run.number, fulfillment=f.number, sku="GADGET", location="B-01",
                    quantity=1, tote="T1")
    assert err.value.code == "picking.wrong_location" and "A-01 (1)" in err.value.message
    assert snapshot() == before


def test_once_picking_starts_the_order_is_not_split_by_hand(store):
    from fillrate.workflows.split_order import SplitLine, backorder_order_lines

    f = queued("C-ACME", ("WIDGET", 2))
    tote()
    run = create_pick_run(fulfillments=[f.number])
    record_pick(run=run.number, fulfillment=f.number, sku="WIDGET", location="A-01",
                quantity=1, tote="T1")
    line = f.order.lines.get()
    with pytest.raises(Conflict) as err:
        backorder_order_lines(number=f.order.number, lines=[SplitLine(line.id, 1)])
    assert err.value.code == "orders.picking_started"


def test_stock_lost_on_the_shelf_leaves_what_is_in_the_tote(store):
    from fillrate.workflows.adjust_stock import adjust_stock_and_feed

    f = queued("C-ACME", ("GADGET", 3))
    tote()
    run = create_pick_run(fulfillments=[f.number])
    record_pick(run=run.number, fulfillment=f.number, sku="GADGET", location="A-01",
                quantity=1, tote="T1")
    adjusted = adjust_stock_and_feed(product_id=store.gadget.id, quantity=-2, reason="lost",
                                     location_id=store.gadget.stock_levels.get(
                                         location__code="A-01").location_id)
    assert [(r.quantity, r.cancelled) for r in adjusted.reduced] == [(2, False)]
    assert f.lines.get().quantity == 1 and Pick.objects.get().quantity == 1
    assert status(f) == "picked" and PickRun.objects.get(id=run.id).status == "done"
    assert levels("GADGET") == {"A-01": (0, 0), "tote:T1": (1, 1)}

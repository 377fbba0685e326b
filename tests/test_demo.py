"""`fillrate demo`: a realistic data set, loaded idempotently."""

from __future__ import annotations

import re
from collections import Counter

import pytest
from django.apps import apps
from django.contrib.auth import authenticate
from django.db import transaction
from django.test.utils import override_settings

from fillrate.accounts.models import User
from fillrate.accounts.permissions import Role
from fillrate.backorders.models import Backorder
from fillrate.catalog.models import Product
from fillrate.cli import main
from fillrate.customers.models import Customer, SalesRep
from fillrate.demo import DEMO_PASSWORD, TOTES, load_demo
from fillrate.fulfilment.models import Fulfillment
from fillrate.inventory.models import Location, StockMovement, Warehouse
from fillrate.inventory.selectors import ledger_mismatches, products_with_stock
from fillrate.orders.models import SalesOrder
from fillrate.picking.models import Issue, PickRun, Tote


def row_counts() -> dict[str, int]:
    return {m._meta.label: m.objects.count() for m in apps.get_models()}


@pytest.fixture(scope="module")
def demo_data(django_db_setup, django_db_blocker):
    """The demo loaded once for the read-only tests of this module, rolled
    back at its end (each test still runs in its own savepoint)."""
    fast = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    with (django_db_blocker.unblock(), override_settings(PASSWORD_HASHERS=fast),
          transaction.atomic()):
        load_demo()
        yield
        transaction.set_rollback(True)


@pytest.fixture
def demo(demo_data, db):
    return None


def added(summary: str) -> dict[str, int]:
    """"demo data loaded (added 4 users, 1 issue, ...)" -> {"users": 4, "issues": 1, ...}"""
    match = re.search(r"\(added ([^)]*)\)", summary)
    assert match, summary
    counts = {}
    for n, what in (part.split(" ", 1) for part in match.group(1).split(", ")):
        assert what.endswith("s") == (n != "1"), f"{n} {what}"
        counts[what if n != "1" else f"{what}s"] = int(n)
    return counts


def test_loading_again_adds_nothing_and_fills_gaps(db):
    first_summary = added(load_demo())
    assert first_summary["users"] == 4 and first_summary["products"] >= 45
    # the summary counts what is there after a first load
    assert (first_summary["totes"], first_summary["fulfillments"], first_summary["pick runs"],
            first_summary["issues"]) == (Tote.objects.count(), Fulfillment.objects.count(),
                                         PickRun.objects.count(), Issue.objects.count())
    assert first_summary["totes"] == len(TOTES) and first_summary["issues"] == 1
    first = row_counts()
    assert first["catalog.Product"] and first["inventory.StockMovement"]
    again = added(load_demo())
    assert row_counts() == first
    assert set(again) == set(first_summary) and not any(again.values()), again

    Customer.objects.filter(code="C-IVY").delete()
    assert added(load_demo()) == {**again, "customers": 1}
    assert row_counts() == {**first, "core.Event": first["core.Event"] + 1}


def test_a_warehouse_with_every_kind_of_location(demo):
    (warehouse,) = Warehouse.objects.all()
    kinds = Counter(Location.objects.filter(warehouse=warehouse).values_list("kind", flat=True))
    # a tote's place is a location of its own (kind `tote`)
    assert set(kinds) == {"pick", "bulk", "receiving", "issues", "tote"}
    assert kinds["pick"] >= 2 and kinds["issues"] == 1 and kinds["tote"] == len(TOTES)
    # the demo's shelves (A-..) and racks (B-..) are zones A and B; a fresh
    # install's own PICK location is left as it was
    shelves = list(Location.objects.filter(kind__in=["pick", "bulk"]).exclude(code="PICK")
                   .values_list("code", "zone"))
    assert len(shelves) >= 6
    assert {(code[:2], zone) for code, zone in shelves} == {("A-", "A"), ("B-", "B")}


def test_about_fifty_products_some_out_of_stock_one_discontinued(demo):
    products = list(products_with_stock())
    assert 45 <= len(products) <= 55
    assert len({p.sku for p in products}) == len(products)
    out_of_stock = [p for p in products if p.on_hand == 0]
    assert 3 <= len(out_of_stock) < len(products) // 2
    assert Product.objects.filter(discontinued=True).count() == 1
    assert all(p.list_price > 0 for p in products)
    assert len({p.category for p in products}) >= 3


def test_the_demo_passes_fillrate_check(demo, capsys):
    assert StockMovement.objects.exists()
    assert ledger_mismatches() == []
    assert main(["check"]) == 0, capsys.readouterr().out


def test_some_demo_orders_ran_short(demo):
    products = list(products_with_stock())
    assert any(p.allocated for p in products)
    assert all(0 <= p.available <= p.on_hand for p in products)
    assert SalesOrder.objects.exists()
    statuses = Counter(Backorder.objects.values_list("status", flat=True))
    assert statuses["open"] >= 3 and statuses["cancelled"] == 1, statuses


def test_customers_with_vips_over_three_sales_reps(demo):
    assert 18 <= Customer.objects.count() <= 22
    assert SalesRep.objects.count() == 3
    for rep in SalesRep.objects.all():
        assert rep.customers.count() >= 3, rep
    assert not Customer.objects.filter(sales_rep__isnull=True).exists()
    vips = Customer.objects.filter(vip=True)
    assert 2 <= vips.count() < Customer.objects.count() // 2
    assert vips.values("sales_rep").distinct().count() == 3
    assert not Customer.objects.filter(email="").exists()


def test_one_user_per_role_who_can_log_in(demo):
    users = list(User.objects.all())
    assert sorted(u.role for u in users) == sorted(Role)
    for user in users:
        assert authenticate(username=user.username, password=DEMO_PASSWORD) == user


def test_backorders_are_never_dated_before_their_orders(demo):
    from django.utils import timezone

    from fillrate.core.models import Event

    backorders = list(Backorder.objects.select_related("order"))
    assert backorders
    for backorder in backorders:
        assert backorder.created_at >= backorder.order.created_at, backorder.number
        if backorder.expected_date is not None:
            assert backorder.expected_date >= timezone.localtime(backorder.created_at).date()
        opened = Event.objects.get(type="BackorderOpened", subject=backorder.number)
        placed = Event.objects.get(type="OrderPlaced", subject=backorder.order.number)
        assert placed.created_at <= opened.created_at <= timezone.now()
    # the orders are spread over weeks, so some backorders are past the maximum age
    ages = [(timezone.now() - b.created_at).days for b in backorders]
    assert max(ages) > 30 and min(ages) < 30


# -- the warehouse floor ------------------------------------------------------------


def test_the_pick_queue_has_work_and_one_held(demo):
    from fillrate.core.business import business_settings
    from fillrate.picking.selectors import pick_queue

    assert business_settings().pick_workflow == "on"
    queued = list(pick_queue())
    assert len(queued) >= 5 and {f.status for f in queued} == {"queued"}
    (held,) = pick_queue(held=True)
    assert held.status == "queued" and held.queue_hold.reason
    # every queued unit is held on a zoned shelf, so the zone filter finds them
    assert {f.number for f in pick_queue(zone="A")} | {f.number for f in pick_queue(zone="B")} \
        == {f.number for f in queued}


def test_a_run_is_under_way_for_the_picker_after_a_finished_one(demo):
    from fillrate.picking.selectors import pick_runs, run_detail

    runs = {r.status: r for r in pick_runs()}
    assert set(runs) == {"done", "picking"} and len(runs) == PickRun.objects.count()
    assert {r.picker.username for r in runs.values()} == {"picker"}

    done = run_detail(runs["done"].number)
    assert [m.status for m in done.members] == ["packed"] and done.picked == done.units

    detail = run_detail(runs["picking"].number)
    statuses = Counter(m.status for m in detail.members)
    assert statuses == {"issue": 1, "picked": 1, "picking": 1}, statuses
    assert 0 < detail.picked < detail.units
    assert detail.next is not None and detail.next.location.startswith("A-")
    assert all(m.tote for m in detail.members)


def test_totes_one_on_the_issues_wall_two_in_use_the_rest_free(demo):
    from fillrate.picking.selectors import tote_status, totes

    rows = list(totes())
    assert [t.code for t in rows] == TOTES
    status = {t.code: tote_status(t, t.in_use) for t in rows}
    assert Counter(status.values()) == {"issues": 1, "in_use": 2, "free": len(TOTES) - 3}
    (parked,) = [t for t in rows if status[t.code] == "issues"]
    assert parked.place.kind == "issues"


def test_the_issues_wall_has_one_open_issue_for_the_supervisor(demo):
    from fillrate.picking.selectors import issues, issues_wall

    (wall,) = issues_wall(list(issues()))
    issue = wall.issue
    assert issue.fulfillment.status == "issue" and issue.quantity > 0
    assert issue.location.kind == "pick" and wall.tote
    assert Tote.objects.get(code=wall.tote).place.kind == "issues"
    # where else the product is recorded, for the supervisor to check
    assert any(x.location != issue.location.code and x.on_hand for x in wall.elsewhere)


def test_the_floor_pages_show_the_work(demo, client):
    from fillrate.picking.selectors import issues, pick_queue, pick_runs

    running = pick_runs().get(status="picking").number
    issue = issues().get()
    client.force_login(User.objects.get(username="supervisor"))
    queue = client.get("/pick-queue/")
    assert queue.status_code == 200
    for f in pick_queue():
        assert f.number in queue.text
    wall = client.get("/issues/")
    assert wall.status_code == 200 and issue.number in wall.text
    assert issue.fulfillment.number in wall.text
    totes = client.get("/totes/")
    assert totes.status_code == 200 and all(code in totes.text for code in TOTES)
    pack = client.get("/pack/")
    assert pack.status_code == 200
    assert Fulfillment.objects.get(status="packed").number in pack.text

    client.force_login(User.objects.get(username="picker"))
    home = client.get("/scan/")
    assert home.status_code == 200 and running in home.text
    scan = client.get(f"/pick-runs/{running}/scan/")
    assert scan.status_code == 200


def test_the_supervisor_resolves_the_issue_and_the_totes_are_packed(demo, capsys):
    """The demo's floor is real work: the issue resolves (split), both
    totes of the run pack, and everything packed dispatches; the
    invariants hold throughout."""
    from fillrate.picking.selectors import issues
    from fillrate.picking.services import pack_tote
    from fillrate.workflows.dispatch import dispatch_fulfillments
    from fillrate.workflows.invariants import all_problems
    from fillrate.workflows.resolve_issue import resolve_issue

    supervisor = User.objects.get(username="supervisor")
    issue = issues().get()
    tote = Tote.objects.get(contents__fulfillment=issue.fulfillment).code
    resolved = resolve_issue(number=issue.number, action="split", actor_id=supervisor.id)
    assert resolved.fulfillment_status == "picked" and resolved.backorder
    ready = Tote.objects.filter(contents__fulfillment__status="picked").values_list(
        "code", flat=True).distinct()
    assert tote in ready and len(ready) == 2
    for code in ready:
        assert pack_tote(code=code, actor_id=supervisor.id).packed
    packed = [f.number for f in Fulfillment.objects.filter(status="packed")]
    assert len(packed) == 3
    dispatch_fulfillments(numbers=packed, carrier="DPD", actor_id=supervisor.id)
    assert all_problems() == []
    assert main(["check"]) == 0, capsys.readouterr().out

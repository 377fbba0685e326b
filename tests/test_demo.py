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
from fillrate.demo import DEMO_PASSWORD, load_demo
from fillrate.inventory.models import Location, StockMovement, Warehouse
from fillrate.inventory.selectors import ledger_mismatches, products_with_stock
from fillrate.orders.models import SalesOrder
from fillrate.picking.models import Tote


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
    """"demo data loaded (added 4 users, 8 locations, ...)" -> {"users": 4, ...}"""
    match = re.search(r"\(added ([^)]*)\)", summary)
    assert match, summary
    return {what: int(n) for n, what in (part.split(" ", 1) for part in
                                         match.group(1).split(", "))}


def test_loading_again_adds_nothing_and_fills_gaps(db):
    first_summary = added(load_demo())
    assert first_summary["users"] == 4 and first_summary["products"] >= 45
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
    assert set(kinds) == {"pick", "bulk", "receiving", "issues", "tote"}
    assert kinds["pick"] >= 2 and kinds["issues"] == 1
    assert kinds["tote"] == Tote.objects.count() == 8  # each tote's own place


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

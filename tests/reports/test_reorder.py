"""Reorder points, suggestions by supplier and draft purchase orders."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from fillrate.accounts.permissions import Role
from fillrate.core.errors import InvalidValue, NotFound
from fillrate.purchasing.models import PurchaseOrder, ReorderPoint
from fillrate.purchasing.reorder import (
    create_draft_purchase_orders,
    import_reorder_points,
    set_reorder_point,
)
from fillrate.purchasing.services import create_supplier
from fillrate.reports.reorder import reorder_suggestions, suggestion
from tests.helpers import db_state

pytestmark = pytest.mark.django_db


def test_suggestion_arithmetic():
    assert suggestion(waiting=6, reorder_point=4, available=0, incoming=0) == 10
    assert suggestion(waiting=3, reorder_point=0, available=0, incoming=5) == 0
    assert suggestion(waiting=0, reorder_point=30, available=11, incoming=0) == 19
    assert suggestion(waiting=2, reorder_point=0, available=-1, incoming=0) == 2


@pytest.fixture
def points(scenario):
    create_supplier(code="SUP-2", name="Supplier two", lead_time_days=10)
    set_reorder_point(sku="WIDGET", reorder_point=30, supplier="SUP-1")
    set_reorder_point(sku="GADGET", reorder_point=0, supplier="SUP-1")
    return scenario


def table(groups):
    return {g.code: [(r.sku, r.waiting, r.reorder_point, r.available, r.incoming, r.suggested)
                     for r in g.rows] for g in groups}


def test_suggestions_by_supplier(points):
    # WIDGET: 20 - 5 (O1) - 4 (O2) = 11 available, nothing waiting: 30 - 11 = 19.
    # GADGET: 3 waiting, 5 incoming: nothing. BOLT: 6 waiting, no supplier.
    assert table(reorder_suggestions()) == {
        "SUP-1": [("WIDGET", 0, 30, 11, 0, 19)],
        "": [("BOLT", 6, 0, 0, 0, 6)]}
    set_reorder_point(sku="BOLT", reorder_point=4, supplier="SUP-2")
    assert table(reorder_suggestions()) == {
        "SUP-1": [("WIDGET", 0, 30, 11, 0, 19)], "SUP-2": [("BOLT", 6, 4, 0, 0, 10)]}


def test_draft_purchase_orders_one_per_supplier(points):
    set_reorder_point(sku="BOLT", reorder_point=4, supplier="SUP-2")
    before = table(reorder_suggestions())
    orders = create_draft_purchase_orders(quantities={"WIDGET": 19, "BOLT": 10})
    got = sorted((po.supplier.code, po.status, [(x.product.sku, x.quantity)
                                                for x in po.lines.all()]) for po in orders)
    assert got == [("SUP-1", "draft", [("WIDGET", 19)]), ("SUP-2", "draft", [("BOLT", 10)])]
    # Drafts are not on their way yet: the suggestions stand until ordered.
    assert table(reorder_suggestions()) == before


@pytest.mark.parametrize(("quantities", "code", "field"), [
    ({}, "purchasing.nothing_chosen", "lines"),
    ({"BOLT": 6}, "purchasing.no_preferred_supplier", "BOLT"),
    ({"WIDGET": 0}, "purchasing.invalid_quantity", "WIDGET"),
    ({"WIDGET": 5, "BOLT": 6}, "purchasing.no_preferred_supplier", "BOLT"),
])
def test_bad_drafts_change_nothing(points, quantities, code, field):
    before = db_state()
    with pytest.raises(InvalidValue) as error:
        create_draft_purchase_orders(quantities=quantities)
    assert (error.value.code, error.value.field) == (code, field)
    assert db_state() == before


def test_set_reorder_point_errors(points):
    before = db_state()
    with pytest.raises(NotFound):
        set_reorder_point(sku="NOPE", reorder_point=1)
    with pytest.raises(NotFound):
        set_reorder_point(sku="BOLT", reorder_point=1, supplier="NOPE")
    with pytest.raises(InvalidValue):
        set_reorder_point(sku="BOLT", reorder_point=-1)
    assert db_state() == before


def test_import_all_or_nothing(points):
    before = db_state()
    with pytest.raises(InvalidValue) as error:
        import_reorder_points(text="sku,reorder_point,supplier\nBOLT,5,SUP-2\nNOPE,x,SUP-9\n")
    assert [(e.row, e.column) for e in error.value.errors] == [
        (3, "sku"), (3, "reorder_point"), (3, "supplier")]
    assert db_state() == before
    assert import_reorder_points(
        text="sku,reorder_point,supplier\nBOLT,5,SUP-2\nWIDGET,0,\n") == 2
    assert ReorderPoint.objects.get(product__sku="BOLT").supplier.code == "SUP-2"
    assert ReorderPoint.objects.get(product__sku="WIDGET").supplier is None


def test_the_page_makes_drafts_and_imports(points, login):
    client = login(Role.SUPERVISOR)
    page = re.sub(r"\s+", " ", client.get(reverse("web:reorder")).content.decode())
    assert '<tr data-sku="WIDGET">' in page and 'value="19"' in page
    response = client.post(reverse("web:reorder_drafts"), {"sku": ["WIDGET"], "qty-WIDGET": "25"},
                           follow=True)
    po = PurchaseOrder.objects.get(status="draft")
    assert (po.status, po.supplier.code, po.lines.get().quantity) == ("draft", "SUP-1", 25)
    assert f"Draft purchase orders created: {po.number} (SUP-1)" in response.content.decode()
    upload = SimpleUploadedFile("points.csv", b"sku,reorder_point,supplier\nBOLT,2,SUP-2\n")
    response = client.post(reverse("web:reorder_import"), {"file": upload}, follow=True)
    assert "Reorder points imported for 1 products." in response.content.decode()
    client.post(reverse("web:reorder_point"), {"sku": "GADGET", "reorder_point": "7",
                                                "supplier": "SUP-2"})
    assert ReorderPoint.objects.get(product__sku="GADGET").reorder_point == 7


def test_the_warehouse_sees_suggestions_but_makes_no_drafts(points, login):
    client = login(Role.WAREHOUSE)
    page = client.get(reverse("web:reorder")).content.decode()
    assert "WIDGET" in page and "Create draft purchase orders" not in page
    before = db_state()
    assert client.post(reverse("web:reorder_drafts"), {"sku": ["WIDGET"],
                                                       "qty-WIDGET": "5"}).status_code == 403
    assert db_state() == before

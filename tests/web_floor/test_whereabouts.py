"""What the issues wall shows a supervisor about a missing product: every
sellable location that records it, and its recent receipts."""

from __future__ import annotations

import pytest

from fillrate.picking.pages import recent_receipts, whereabouts
from fillrate.purchasing.services import (
    PurchaseLineInput,
    create_purchase_order,
    create_supplier,
)
from fillrate.workflows.receive import ReceiptLineInput, receive_purchase_order
from tests.factories import LocationFactory

pytestmark = pytest.mark.django_db


def test_whereabouts_lists_sellable_locations_with_stock_in_pick_sequence(shop, stock):
    bulk = LocationFactory(code="BULK-9", kind="bulk", pick_sequence=900)
    empty = LocationFactory(code="B-02", kind="pick", pick_sequence=20)
    stock(shop.kettle, 4, location=bulk)
    assert empty.code == "B-02"
    found = whereabouts([shop.kettle.id, shop.beans.id])
    kettles = [(w.location, w.kind, w.on_hand) for w in found[shop.kettle.id]]
    assert kettles[-1] == ("BULK-9", "bulk", 4)
    assert kettles[0][2] == 7 and kettles[0][1] == "pick"
    assert "B-02" not in [w[0] for w in kettles]  # nothing recorded there
    assert found[shop.beans.id] == []


def test_recent_receipts_are_newest_first_and_few(shop):
    create_supplier(code="SUP-1", name="Supplier One")
    receiving = LocationFactory(code="RCV", kind="receiving", pick_sequence=1000)
    po = create_purchase_order(supplier="SUP-1", lines=[PurchaseLineInput("COF-ESP-1KG", 20)])
    for quantity in (2, 3, 4, 5):
        receive_purchase_order(number=po.number, lines=[ReceiptLineInput("COF-ESP-1KG", quantity)],
                               location_id=receiving.id)
    got = recent_receipts([shop.beans.id, shop.kettle.id])
    assert [(r.quantity, r.purchase_order, r.location) for r in got[shop.beans.id]] == [
        (5, po.number, "RCV"), (4, po.number, "RCV"), (3, po.number, "RCV")]
    assert got[shop.kettle.id] == []

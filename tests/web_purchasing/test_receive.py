"""The receive screen and its result page: what arrived, and which
backorders got the stock."""

from __future__ import annotations

import pytest

from fillrate.accounts.permissions import Role
from fillrate.backorders.models import Backorder
from fillrate.inventory.models import StockLevel
from fillrate.orders.services import LineInput
from fillrate.purchasing.models import PurchaseOrderLine, Receipt
from fillrate.workflows.place_order import place_order
from fillrate.workflows.purchase_orders import cancel_purchase_order
from tests.factories import CustomerFactory, LocationFactory
from tests.web_purchasing.conftest import buy, state

pytestmark = pytest.mark.django_db


def line_ids(number: str) -> dict[str, int]:
    return {x.product.sku: x.id for x in PurchaseOrderLine.objects.filter(
        purchase_order_id=int(number[3:])).select_related("product")}


def receive(client, number: str, quantities: dict[str, str], follow: bool = False, **extra):
    ids = line_ids(number)
    data = {f"qty-{ids[sku]}": q for sku, q in quantities.items()}
    return client.post(f"/purchase-orders/{number}/receive/", {**data, **extra}, follow=follow)


def test_the_form_has_a_box_per_outstanding_line_a_scan_box_and_the_options(login, waiting):
    client = login(Role.WAREHOUSE)
    LocationFactory(code="B-09", kind="bulk")
    LocationFactory(code="DMG", kind="issues")
    ids = line_ids(waiting.po)
    page = client.get(f"/purchase-orders/{waiting.po}/receive/")
    assert page.status_code == 200
    html = page.content.decode()
    for sku in ("GADGET", "WIDGET"):
        assert f'name="qty-{ids[sku]}" value=""' in html
        assert f'data-sku="{sku}"' in html
    assert 'id="scan"' in html and "web/receive.js" in html
    assert [x.code for x in page.context["locations"]][0] == "RECV"  # receiving first
    assert {"RECV", "A-01", "B-09"} <= {x.code for x in page.context["locations"]}
    assert "DMG" not in html  # not a place to receive into
    assert "Receiving location (RECV)" in html
    assert 'name="allow_over_receipt"' in html


def test_a_fully_received_line_has_no_box(admin_web, waiting):
    receive(admin_web, waiting.po, {"WIDGET": "6"})
    page = admin_web.get(f"/purchase-orders/{waiting.po}/receive/")
    assert [x.product.sku for x in page.context["lines"]] == ["GADGET"]


def test_receiving_shows_which_backorders_got_the_stock(login, waiting):
    client = login(Role.WAREHOUSE)
    response = receive(client, waiting.po, {"GADGET": "5", "WIDGET": ""})
    receipt = Receipt.objects.get()
    url = f"/purchase-orders/{waiting.po}/receipts/{receipt.number}/"
    assert response.status_code == 302 and response["Location"] == url
    # The oldest backorder got all 3 it waited for; the newer one the other 2.
    assert Backorder.objects.get(id=int(waiting.oldest[3:])).status == "ready"
    assert Backorder.objects.get(id=int(waiting.newer[3:])).status == "open"
    assert (receipt.location.code, receipt.created_by) == ("RECV", client.user)
    assert [(x.product.sku, x.quantity) for x in receipt.lines.all()] == [("GADGET", 5)]

    page = client.get(url)
    assert page.status_code == 200
    fed = [(f.backorder, f.customer_code, f.sku, f.quantity, f.status)
           for f in page.context["fed"]]
    assert fed == [(waiting.oldest, "C-ACME", "GADGET", 3, "ready"),
                   (waiting.newer, "C-LATE", "GADGET", 2, "open")]
    html = page.content.decode()
    assert f'href="/backorders/{waiting.oldest}/"' in html
    assert "Late Customer" in html and "Ready to fulfil" in html
    assert "5 units went to 2 backorders (2 lines)" in html
    assert '<a href="/fulfil/" id="to-fulfil">Fulfil them</a>' in html
    received = html[html.index('id="receipt-lines"'):]
    assert "GADGET" in received[:received.index("</table>")]
    # The purchase order now shows the receipt and what is outstanding.
    detail = client.get(f"/purchase-orders/{waiting.po}/").content.decode()
    assert receipt.number in detail and "5 of 16 units received · 11 outstanding" in detail


def test_a_receipt_nobody_waits_for_becomes_free_stock(admin_web, waiting):
    response = receive(admin_web, waiting.po, {"WIDGET": "2"}, follow=True)
    assert response.context["fed"] == []
    assert "all of it is free stock now" in response.content.decode()


def test_the_receipt_page_elsewhere_shows_the_receipt_without_the_allocations(login, waiting):
    receive(login(Role.WAREHOUSE), waiting.po, {"GADGET": "3"})
    receipt = Receipt.objects.get()
    page = login(Role.SALES).get(f"/purchase-orders/{waiting.po}/receipts/{receipt.number}/")
    assert page.status_code == 200
    assert page.context["fed"] is None
    html = page.content.decode()
    assert "BackorderAllocated" in html and "GADGET" in html
    missing = login(Role.SALES).get(f"/purchase-orders/{waiting.po}/receipts/RC-000099/")
    assert missing.status_code == 404


def test_a_large_receipt_lists_the_first_rows_and_counts_them_all(admin_web, waiting,
                                                                 monkeypatch):
    from fillrate.web import purchasing_views

    monkeypatch.setattr(purchasing_views, "SHOWN_ALLOCATIONS", 2)
    CustomerFactory(code="C-THIRD")
    third = place_order(customer="C-THIRD", lines=[LineInput("GADGET", 1)]).backorders[0]
    response = receive(admin_web, waiting.po, {"GADGET": "10"}, follow=True)
    assert [f.backorder for f in response.context["fed"]] == [waiting.oldest, waiting.newer]
    html = response.content.decode()
    assert "8 units went to 3 backorders (3 lines); the first 2 are listed" in html
    assert third.number not in html


def test_over_receipt_is_refused_unless_allowed(admin_web, waiting):
    ids = line_ids(waiting.po)
    before = state()
    response = receive(admin_web, waiting.po, {"GADGET": "2", "WIDGET": "7"})
    assert response.status_code == 200
    assert state() == before
    assert response.context["line_errors"] == {
        ids["WIDGET"]: "7 is more than the 6 outstanding: tick “Allow over-receipt” to take "
                       "more than was ordered."}
    html = response.content.decode()
    assert 'value="7"' in html and 'value="2"' in html  # what was typed is kept
    assert "7 is more than the 6 outstanding: tick “Allow over-receipt”" in html

    allowed = receive(admin_web, waiting.po, {"WIDGET": "7"}, allow_over_receipt="on")
    assert allowed.status_code == 302
    receipt = Receipt.objects.get()
    assert receipt.over_receipt
    assert PurchaseOrderLine.objects.get(id=ids["WIDGET"]).received == 7


@pytest.mark.parametrize(("quantities", "where", "message"), [
    ({"GADGET": "", "WIDGET": ""}, "form", "Enter the quantity received on at least one line."),
    ({"GADGET": "two"}, "GADGET", "Enter a whole number of units, at least 1."),
    ({"GADGET": "0"}, "GADGET", "Enter a whole number of units, at least 1."),
    ({"GADGET": "-4"}, "GADGET", "Enter a whole number of units, at least 1."),
    ({"GADGET": "1.5"}, "GADGET", "Enter a whole number of units, at least 1."),
])
def test_bad_quantities_are_shown_inline_and_receive_nothing(admin_web, waiting, quantities,
                                                             where, message):
    before = state()
    response = receive(admin_web, waiting.po, quantities)
    assert response.status_code == 200
    assert state() == before
    if where == "form":
        assert response.context["errors"] == {"form": message}
    else:
        assert response.context["line_errors"] == {line_ids(waiting.po)[where]: message}
    assert message in response.content.decode()


def test_an_unlisted_location_is_refused(admin_web, waiting):
    LocationFactory(code="DMG", kind="issues")
    before = state()
    response = receive(admin_web, waiting.po, {"GADGET": "1"}, location="DMG")
    assert state() == before
    assert response.context["errors"] == {"location": "Choose one of the listed locations."}


def test_receive_into_a_chosen_location(admin_web, waiting):
    receive(admin_web, waiting.po, {"WIDGET": "2"}, location="A-01")
    assert Receipt.objects.get().location.code == "A-01"
    assert StockLevel.objects.get(product__sku="WIDGET", location__code="A-01").on_hand == 6


def test_without_a_receiving_location_the_location_must_be_named(admin_web, waiting):
    waiting_location = Receipt._meta.get_field("location").related_model
    waiting_location.objects.filter(code="RECV").update(kind="bulk")
    before = state()
    response = receive(admin_web, waiting.po, {"GADGET": "1"})
    assert state() == before
    assert "there is no receiving location" in response.context["errors"]["location"]


def test_a_draft_or_closed_purchase_order_cannot_be_received(admin_web, buying):
    draft = buy(("GADGET", 4), status="draft")
    page = admin_web.get(f"/purchase-orders/{draft}/receive/")
    assert page.status_code == 200
    assert "order it first" in page.content.decode()
    assert 'id="receive-form"' not in page.content.decode()
    closed = buy(("GADGET", 4))
    cancel_purchase_order(number=closed)
    for number in (draft, closed):
        before = state()
        response = receive(admin_web, number, {"GADGET": "1"})
        assert response.status_code == 200
        assert state() == before
        assert "nothing to receive" in response.context["errors"]["form"]


def test_sales_may_not_receive(login, waiting):
    client = login(Role.SALES)
    before = state()
    assert client.get(f"/purchase-orders/{waiting.po}/receive/").status_code == 403
    assert receive(client, waiting.po, {"GADGET": "3"}).status_code == 403
    assert state() == before


def test_enter_in_the_scan_box_without_javascript_counts_one_unit_and_saves_nothing(
        login, waiting):
    """Before receive.js has loaded (or without it) Enter in the scan box posts
    the form: the server counts the scan as the script would, and saves nothing."""
    client = login(Role.WAREHOUSE)
    ids = line_ids(waiting.po)
    page = receive(client, waiting.po, {"GADGET": "2", "WIDGET": ""}, scan="gadget")
    assert page.status_code == 200 and Receipt.objects.count() == 0
    html = page.content.decode()
    assert f'name="qty-{ids["GADGET"]}" value="3"' in html
    assert f'name="qty-{ids["WIDGET"]}" value=""' in html
    assert "+1 GADGET: 3 receiving now." in html
    assert 'class="scan-message ok"' in html

    page = receive(client, waiting.po, {"GADGET": "3"}, scan="NOPE-1")
    assert "“NOPE-1” is not an outstanding line of this purchase order." in page.content.decode()
    assert Receipt.objects.count() == 0

    outstanding = PurchaseOrderLine.objects.get(id=ids["WIDGET"]).quantity
    page = receive(client, waiting.po, {"WIDGET": str(outstanding)}, scan="widget")
    html = page.content.decode()
    assert f'name="qty-{ids["WIDGET"]}" value="{outstanding + 1}"' in html
    assert f"1 more than the {outstanding} outstanding" in html
    assert 'class="scan-message warn"' in html and Receipt.objects.count() == 0

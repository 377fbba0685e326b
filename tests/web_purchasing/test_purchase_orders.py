"""Purchase-order pages: the list with its filters, the new purchase order
form, and the detail with its date edit, order and cancel actions."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.template.loader import render_to_string
from django.utils import timezone

from fillrate.accounts.permissions import Role
from fillrate.backorders.services import update_backorder
from fillrate.customers.models import Customer
from fillrate.orders.services import LineInput
from fillrate.purchasing.models import PurchaseOrder
from fillrate.purchasing.services import create_supplier
from fillrate.workflows.place_order import place_order
from fillrate.workflows.purchase_orders import cancel_purchase_order
from fillrate.workflows.receive import ReceiptLineInput, receive_purchase_order
from tests.factories import ProductFactory
from tests.web_purchasing.conftest import HTMX, buy, state

pytestmark = pytest.mark.django_db


def rows_of(response) -> list[str]:
    return [r["po"].number for r in response.context["rows"]]


# -- list ---------------------------------------------------------------------------


def test_the_list_shows_each_purchase_order_with_its_totals(admin_web, buying):
    first = buy(("WIDGET", 10), ("GADGET", 5))
    receive_purchase_order(number=first, lines=[ReceiptLineInput("WIDGET", 4)])
    second = buy(("GADGET", 2), status="draft")
    page = admin_web.get("/purchase-orders/")
    assert page.status_code == 200
    assert rows_of(page) == [second, first]  # newest first
    totals = {r["po"].number: (r["ordered"], r["received"], r["outstanding"])
              for r in page.context["rows"]}
    assert totals == {first: (15, 4, 11), second: (2, 0, 2)}
    html = page.content.decode()
    assert f'href="/purchase-orders/{first}/"' in html
    assert "Partially received" in html and "Draft" in html
    assert "New purchase order" in html and 'href="/suppliers/"' in html


def test_the_filters_narrow_the_list_and_stay_in_the_pager(admin_web, buying):
    create_supplier(code="OTHER", name="Other Supplier")
    widgets = buy(("WIDGET", 1))
    gadgets = buy(("GADGET", 1))
    draft = buy(("GADGET", 2), status="draft")
    cancel_purchase_order(number=gadgets)
    assert rows_of(admin_web.get("/purchase-orders/", {"status": "cancelled"})) == [gadgets]
    assert rows_of(admin_web.get("/purchase-orders/", {"sku": "GADGET"})) == [draft, gadgets]
    assert rows_of(admin_web.get("/purchase-orders/", {"sku": "WIDGET"})) == [widgets]
    assert rows_of(admin_web.get("/purchase-orders/", {"supplier": "OTHER"})) == []
    assert rows_of(admin_web.get("/purchase-orders/", {"supplier": "ACME-SUP",
                                                       "status": "draft"})) == [draft]
    page = admin_web.get("/purchase-orders/", {"supplier": "ACME-SUP", "sku": "GADGET"})
    assert page.context["query"] == "supplier=ACME-SUP&sku=GADGET"
    assert '<option value="ACME-SUP" selected>' in page.content.decode()


def test_an_unknown_status_filter_is_said_not_crashed(admin_web, buying):
    buy(("WIDGET", 1))
    page = admin_web.get("/purchase-orders/", {"status": "lost"})
    assert page.status_code == 200
    assert rows_of(page) == []
    assert "Unknown status “lost”." in page.content.decode()


def test_htmx_filtering_returns_only_the_rows(admin_web, buying):
    number = buy(("WIDGET", 1))
    page = admin_web.get("/purchase-orders/", {"sku": "WIDGET"},
                         headers={**HTMX, "HX-Target": "po-rows"})
    html = page.content.decode()
    assert html.lstrip().startswith('<div id="po-rows">')
    assert number in html and "<html" not in html


def test_the_list_pages_with_the_filters_kept(admin_web, buying, monkeypatch):
    from fillrate.web import purchasing_views

    monkeypatch.setattr(purchasing_views, "PAGE_SIZE", 2)
    numbers = [buy(("WIDGET", 1)) for _ in range(3)]
    page = admin_web.get("/purchase-orders/", {"sku": "WIDGET"})
    assert rows_of(page) == numbers[::-1][:2]
    assert 'href="?sku=WIDGET&amp;page=2"' in page.content.decode()
    assert rows_of(admin_web.get("/purchase-orders/", {"sku": "WIDGET", "page": 2})) == [
        numbers[0]]


# -- new --------------------------------------------------------------------------


def test_the_new_page_lists_suppliers_with_their_lead_times(admin_web, buying):
    page = admin_web.get("/purchase-orders/new/")
    assert page.status_code == 200
    html = page.content.decode()
    assert '<option value="ACME-SUP">ACME-SUP · Acme Supplies (10 days)</option>' in html
    assert html.count('name="sku"') == 3
    assert "Create and order" in html and "Save as draft" in html


def test_add_line_returns_one_blank_line(admin_web, buying):
    html = admin_web.get("/purchase-orders/new/line/", headers=HTMX).content.decode()
    assert html.count('name="sku"') == 1 and 'value=""' in html and "<html" not in html


def form(**overrides) -> dict:
    data = {"supplier": "ACME-SUP", "expected_date": "", "notes": "",
            "key": ["a", "b", "c"], "sku": ["WIDGET", "GADGET", ""],
            "quantity": ["10", "5", ""], "unit_cost": ["2.50", "", ""], "status": "ordered"}
    data.update(overrides)
    return data


def test_create_an_ordered_purchase_order_due_after_the_lead_time(admin_web, buying):
    response = admin_web.post("/purchase-orders/new/", form(notes="rush"), follow=True)
    po = PurchaseOrder.objects.get()
    assert response.redirect_chain == [(f"/purchase-orders/{po.number}/", 302)]
    assert po.status == "ordered" and po.notes == "rush"
    assert po.expected_date == timezone.localdate() + dt.timedelta(days=10)
    assert po.created_by == admin_web.user
    lines = [(x.product.sku, x.quantity, x.unit_cost) for x in po.lines.order_by("line_no")]
    assert lines == [("WIDGET", 10, Decimal("2.50")), ("GADGET", 5, None)]
    assert f"{po.number} ordered; expected {po.expected_date:%Y-%m-%d}." in (
        response.content.decode())


def test_save_a_draft_with_its_own_date(admin_web, buying):
    admin_web.post("/purchase-orders/new/", form(status="draft", expected_date="2031-02-03"))
    po = PurchaseOrder.objects.get()
    assert (po.status, po.expected_date, po.ordered_at) == ("draft", dt.date(2031, 2, 3), None)


@pytest.mark.parametrize(("overrides", "where", "message"), [
    ({"supplier": ""}, "supplier", "Choose a supplier."),
    ({"supplier": "NOBODY"}, "supplier", "no supplier"),
    ({"expected_date": "next week"}, "expected_date", "Enter a date as YYYY-MM-DD"),
    ({"sku": ["", "", ""], "quantity": ["", "", ""], "unit_cost": ["", "", ""]}, "lines",
     "Add at least one line"),
    ({"status": "received"}, "form", "a new purchase order is draft or ordered"),
])
def test_bad_header_input_is_shown_inline_and_creates_nothing(admin_web, buying, overrides,
                                                              where, message):
    before = state()
    response = admin_web.post("/purchase-orders/new/", form(**overrides))
    assert response.status_code == 200
    assert state() == before
    assert message in response.context["errors"][where]
    html = response.content.decode()
    assert message in html.replace("&#x27;", "'")
    assert 'value="WIDGET"' in html or where == "lines"  # what was typed is kept


@pytest.mark.parametrize(("sku", "quantity", "cost", "field", "message"), [
    ("NOPE", "1", "", "sku", "no product with SKU"),
    ("", "1", "", "sku", "Enter a SKU."),
    ("GADGET", "0", "", "quantity", "Quantity must be at least 1."),
    ("GADGET", "two", "", "quantity", "Enter a whole number."),
    ("GADGET", "1", "-3", "unit_cost", "Enter a cost like 12.50"),
    ("GADGET", "1", "1.234", "unit_cost", "Enter a cost like 12.50"),
    ("widget", "1", "", "sku", "is on line 1 already"),
    ("DISC", "1", "", "sku", "is discontinued"),
])
def test_a_bad_line_is_shown_on_that_line_and_creates_nothing(admin_web, buying, sku, quantity,
                                                              cost, field, message):
    ProductFactory(sku="DISC", discontinued=True)
    before = state()
    response = admin_web.post("/purchase-orders/new/", form(
        sku=["WIDGET", sku], quantity=["10", quantity], unit_cost=["", cost], key=["a", "b"]))
    assert response.status_code == 200
    assert state() == before
    rows = response.context["rows"]
    assert rows[0].errors == {}
    assert list(rows[1].errors) == [field] and message in rows[1].errors[field]
    html = response.content.decode().replace("&#x27;", "'")
    line = html[html.index('id="line-b"'):]
    assert message in line


def test_every_bad_line_is_reported_in_one_round(admin_web, buying):
    """An unknown SKU is found with the rows' other mistakes, not after they
    are fixed."""
    before = state()
    response = admin_web.post("/purchase-orders/new/", form(
        sku=["NOPE", "GADGET", "WIDGET"], quantity=["1", "0", "2"],
        unit_cost=["", "", "abc"], key=["a", "b", "c"]))
    assert state() == before
    assert [list(row.errors) for row in response.context["rows"]] == [
        ["sku"], ["quantity"], ["unit_cost"]]
    assert response.context["rows"][0].errors["sku"] == "no product with SKU 'NOPE'"


@pytest.mark.parametrize("role", [Role.WAREHOUSE, Role.SALES])
def test_roles_that_may_not_manage_cannot_create(login, buying, role):
    client = login(role)
    before = state()
    assert client.get("/purchase-orders/new/").status_code == 403
    assert client.get("/purchase-orders/new/line/").status_code == 403
    assert client.post("/purchase-orders/new/", form()).status_code == 403
    assert state() == before
    assert "New purchase order" not in client.get("/purchase-orders/").content.decode()


# -- detail -------------------------------------------------------------------------


def test_the_detail_shows_lines_receipts_and_history(admin_web, buying):
    number = buy(("WIDGET", 10), ("GADGET", 5), notes="call first")
    received = receive_purchase_order(number=number, lines=[ReceiptLineInput("GADGET", 2)])
    page = admin_web.get(f"/purchase-orders/{number}/")
    assert page.status_code == 200
    html = page.content.decode()
    lines = html[html.index('id="po-lines"'):]
    lines = lines[:lines.index("</table>")]
    assert [(x.product.sku, x.quantity, x.received, x.outstanding)
            for x in page.context["lines"]] == [("WIDGET", 10, 0, 10), ("GADGET", 5, 2, 3)]
    assert page.context["totals"] == {"ordered": 15, "received": 2, "cancelled": 0,
                                      "outstanding": 13}
    assert "2 of 15 units received · 13 outstanding" in html
    receipts = html[html.index('id="po-receipts"'):]
    assert received.receipt.number in receipts and "GADGET × 2" in receipts
    assert "RECV" in receipts
    assert "Purchase order received" in html and "call first" in html
    assert "Partially received" in html
    assert f'href="/purchase-orders/{number}/receive/"' in html
    assert "Cancel purchase order" in html and "Order now" not in html
    assert 'name="expected_date"' in html
    assert "No backorder is waiting for this purchase order." in html


def test_the_promised_partial_lists_rows_it_is_given():
    rows = [{"backorder": "BO-000007", "customer": "Bean There", "sku": "GADGET",
             "quantity": 3, "expected_date": dt.date(2030, 5, 6)}]
    html = render_to_string("web/purchasing/_promised.html", {"promised": rows})
    assert 'href="/backorders/BO-000007/"' in html
    for text in ("Bean There", "GADGET", ">3<", "2030-05-06"):
        assert text in html
    assert "No backorder is waiting" in render_to_string("web/purchasing/_promised.html",
                                                         {"promised": []})
    assert render_to_string("web/purchasing/_promised.html", {}).strip() == ""


def test_an_unknown_purchase_order_is_a_404_page(admin_web, buying):
    for url in ("/purchase-orders/PO-009999/", "/purchase-orders/nonsense/",
                "/purchase-orders/PO-009999/receive/"):
        response = admin_web.get(url)
        assert response.status_code == 404
        assert "no purchase order" in response.content.decode()


def test_a_draft_can_be_ordered(admin_web, buying):
    number = buy(("WIDGET", 3), status="draft")
    page = admin_web.get(f"/purchase-orders/{number}/").content.decode()
    assert "Order now" in page and "/receive/" not in page  # a draft is not receivable yet
    response = admin_web.post(f"/purchase-orders/{number}/order/", follow=True)
    assert PurchaseOrder.objects.get().status == "ordered"
    assert f"{number} ordered" in response.content.decode()
    before = state()
    again = admin_web.post(f"/purchase-orders/{number}/order/", follow=True)
    assert state() == before
    assert "flash error" in again.content.decode()


def test_cancel_closes_what_is_outstanding(admin_web, buying):
    number = buy(("WIDGET", 10))
    receive_purchase_order(number=number, lines=[ReceiptLineInput("WIDGET", 4)])
    response = admin_web.post(f"/purchase-orders/{number}/cancel/",
                              {"reason": "supplier out"}, follow=True)
    assert response.redirect_chain == [(f"/purchase-orders/{number}/", 302)]
    po = PurchaseOrder.objects.get()
    line = po.lines.get()
    assert (po.status, line.received, line.cancelled) == ("cancelled", 4, 6)
    html = response.content.decode()
    assert f"{number} cancelled" in html
    # Closed: no more actions, the date is shown, not editable.
    assert "Cancel purchase order" not in html and 'name="expected_date"' not in html
    before = state()
    again = admin_web.post(f"/purchase-orders/{number}/cancel/", follow=True)
    assert state() == before and "flash error" in again.content.decode()


def test_change_the_expected_date(admin_web, buying):
    number = buy(("WIDGET", 10), expected_date=dt.date(2030, 1, 1))
    response = admin_web.post(f"/purchase-orders/{number}/expected-date/",
                              {"expected_date": "2030-02-15"}, follow=True)
    assert PurchaseOrder.objects.get().expected_date == dt.date(2030, 2, 15)
    assert f"{number} is now expected 2030-02-15." in response.content.decode()
    assert "flash warning" not in response.content.decode()


def test_a_date_in_the_past_is_taken_with_a_warning(admin_web, buying):
    """A supplier that is late already: allowed, but said."""
    number = buy(("WIDGET", 10), expected_date=dt.date(2030, 1, 1))
    past = timezone.localdate() - dt.timedelta(days=3)
    response = admin_web.post(f"/purchase-orders/{number}/expected-date/",
                              {"expected_date": past.isoformat()}, follow=True)
    assert PurchaseOrder.objects.get().expected_date == past
    assert (f"{past:%Y-%m-%d} is in the past: {number} is overdue from now on, and so are "
            "the backorders promised on it.") in response.content.decode()
    made = admin_web.post("/purchase-orders/new/", form(expected_date=past.isoformat()),
                          follow=True)
    assert "is in the past" in made.content.decode()


@pytest.mark.parametrize(("typed", "message"), [
    ("", "Enter the new expected date."),
    ("15/02/2030", "Enter a date as YYYY-MM-DD."),
])
def test_a_bad_expected_date_is_shown_inline_and_changes_nothing(admin_web, buying, typed,
                                                                 message):
    number = buy(("WIDGET", 10), expected_date=dt.date(2030, 1, 1))
    before = state()
    response = admin_web.post(f"/purchase-orders/{number}/expected-date/",
                              {"expected_date": typed})
    assert response.status_code == 200
    assert state() == before
    html = response.content.decode()
    assert message in html and f'value="{typed}"' in html and 'aria-invalid="true"' in html


def test_a_closed_purchase_order_keeps_its_date(admin_web, buying):
    number = buy(("WIDGET", 10), expected_date=dt.date(2030, 1, 1))
    cancel_purchase_order(number=number)
    before = state()
    response = admin_web.post(f"/purchase-orders/{number}/expected-date/",
                              {"expected_date": "2030-03-01"})
    assert response.status_code == 200
    assert state() == before
    assert "is cancelled" in response.content.decode()


@pytest.mark.parametrize("role", list(Role))
def test_every_role_may_read_the_purchasing_pages(login, buying, role):
    number = buy(("WIDGET", 10))
    client = login(role)
    for url in ("/purchase-orders/", f"/purchase-orders/{number}/", "/suppliers/"):
        assert client.get(url).status_code == 200, url
    html = client.get(f"/purchase-orders/{number}/").content.decode()
    manage = role in (Role.ADMINISTRATOR, Role.SUPERVISOR)
    assert ("Cancel purchase order" in html) == manage
    assert ('name="expected_date"' in html) == manage
    assert (f"/purchase-orders/{number}/receive/" in html) == (role != Role.SALES)


@pytest.mark.parametrize("role", [Role.WAREHOUSE, Role.SALES])
def test_roles_that_may_not_manage_cannot_change_a_purchase_order(login, buying, role):
    number = buy(("WIDGET", 10))
    draft = buy(("GADGET", 1), status="draft")
    client = login(role)
    before = state()
    for url, data in ((f"/purchase-orders/{number}/cancel/", {}),
                      (f"/purchase-orders/{draft}/order/", {}),
                      (f"/purchase-orders/{number}/expected-date/",
                       {"expected_date": "2031-01-01"})):
        assert client.post(url, data).status_code == 403, url
    assert state() == before


def test_the_detail_lists_the_backorders_promised_against_it(admin_web, waiting):
    page = admin_web.get(f"/purchase-orders/{waiting.po}/")
    html = page.content.decode()
    promised = html[html.index('id="promised"'):]
    promised = promised[:promised.index("</table>")]
    assert [(p.backorder, p.customer, p.sku, p.quantity) for p in page.context["promised"]] == [
        (waiting.oldest, Customer.objects.get(code="C-ACME").name, "GADGET", 3),
        (waiting.newer, "Late Customer", "GADGET", 4)]
    assert promised.index(waiting.oldest) < promised.index(waiting.newer)
    assert f'href="/backorders/{waiting.oldest}/"' in promised


def test_the_backorder_page_shows_its_promises_and_where_its_date_comes_from(admin_web,
                                                                             waiting):
    sooner = timezone.localdate() + dt.timedelta(days=1)  # waiting.po is due in 10 days
    early = buy(("GADGET", 2), expected_date=sooner)  # the oldest's first 2 units
    html = admin_web.get(f"/backorders/{waiting.oldest}/").content.decode()
    promises = html[html.index('id="bo-promises"'):]
    promises = promises[:promises.index("</table>")]
    assert promises.index(early) < promises.index(waiting.po)
    assert f"{sooner:%Y-%m-%d}" in promises
    assert "from purchase orders" in html

    update_backorder(number=waiting.oldest, changes={"expected_date": dt.date(2031, 5, 1)})
    html = admin_web.get(f"/backorders/{waiting.oldest}/").content.decode()
    assert "2031-05-01" in html and "set by hand" in html

    ProductFactory(sku="NOPO")
    newest = place_order(customer="C-LATE", lines=[LineInput("WIDGET", 50),
                                                   LineInput("NOPO", 2)]).backorders[0].number
    html = admin_web.get(f"/backorders/{newest}/").content.decode()
    promises = html[html.index('id="bo-promises"'):]
    promises = promises[:promises.index("</table>")]
    assert waiting.po in promises  # 6 of the 46 waiting WIDGET units
    assert promises.count("No purchase order is on its way for these units.") == 1  # NOPO
    assert "not known yet" in html

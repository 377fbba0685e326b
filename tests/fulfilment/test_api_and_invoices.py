"""The fulfilment endpoints, invoices at locked prices, amount due, and the
QuickBooks CSV."""

from __future__ import annotations

import csv
import datetime as dt
import io

from django.utils import timezone

from fillrate.catalog.models import Product
from fillrate.customers.models import Customer
from fillrate.fulfilment.models import Invoice
from tests.fulfilment.support import snapshot
from tests.helpers import assert_error
from tests.orders.support import allocate_to_backorder, place

API = "/api/v1"


def test_a_backorder_shipped_later_gets_its_own_invoice_at_the_locked_price(api, store, stock):
    Customer.objects.filter(code="C-ACME").update(payment_terms="Net 30")
    placed = place("C-ACME", ("WIDGET", 25))  # 4.00 each: 20 now, 5 on backorder
    (backorder,) = placed.backorders
    order_url = f"{API}/orders/{placed.order.number}"
    assert api.get(order_url).json()["amount_due"] == "80.00"

    own = api.post(f"{order_url}/fulfil")
    assert own.status_code == 201, own.content
    shipped = api.post(f"{API}/fulfillments/{own.json()['number']}/dispatch",
                       {"carrier": "DPD", "tracking_number": "15501"})
    assert shipped.status_code == 200, shipped.content
    first_invoice = shipped.json()["invoice"]
    assert shipped.json()["status"] == "dispatched"

    Product.objects.filter(sku="WIDGET").update(list_price="9.00")  # the price goes up
    stock(store.widget, 5)
    allocate_to_backorder(backorder.number, "WIDGET", 5)
    later = api.post(f"{API}/backorders/{backorder.number}/fulfil")
    assert later.status_code == 201, later.content
    body = later.json()
    assert body["backorder"] == backorder.number and body["order"] == placed.order.number
    assert body["lines"] == [{"sku": "WIDGET", "name": store.widget.name,
                              "order_line": placed.lines[0].id, "backorder": backorder.number,
                              "quantity": 5, "unit_price": "4.00"}]
    assert api.get(order_url).json()["amount_due"] == "80.00"  # queued is not shipped
    second = api.post(f"{API}/fulfillments/{body['number']}/dispatch").json()["invoice"]
    assert api.get(order_url).json()["amount_due"] == "100.00"

    assert first_invoice != second
    today = timezone.localdate()
    invoice = api.get(f"{API}/invoices/{second}").json()
    assert invoice == {
        "number": second, "fulfillment": body["number"], "order": placed.order.number,
        "customer": "C-ACME", "customer_name": invoice["customer_name"],
        "invoice_date": today.isoformat(),
        "due_date": (today + dt.timedelta(days=30)).isoformat(), "total": "20.00",
        "lines": [{"sku": "WIDGET", "description": store.widget.name, "quantity": 5,
                   "rate": "4.00", "amount": "20.00"}],
    }
    assert api.get(f"{API}/invoices/{first_invoice}").json()["total"] == "80.00"
    page = api.get(f"{API}/invoices", {"order": placed.order.number}).json()
    assert [x["number"] for x in page["items"]] == [second, first_invoice]
    assert page["count"] == 2
    assert api.get(f"{API}/invoices", {"customer": "C-VIP"}).json() == {"items": [],
                                                                          "count": 0}


def test_the_csv_is_one_row_per_invoice_line_in_quickbooks_layout(api, store):
    Customer.objects.filter(code="C-ACME").update(payment_terms="Net 14")
    Product.objects.filter(sku="GADGET").update(variant="Blue")
    placed = place("C-ACME", ("WIDGET", 3), ("GADGET", 2))
    made = api.post(f"{API}/orders/{placed.order.number}/fulfil").json()["number"]
    api.post(f"{API}/fulfillments/{made}/dispatch")
    invoice = Invoice.objects.get()
    response = api.get(f"{API}/invoices", {"format": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    day, due = invoice.invoice_date, invoice.invoice_date + dt.timedelta(days=14)
    customer = Customer.objects.get(code="C-ACME").name
    widget = Product.objects.get(sku="WIDGET").name
    gadget = Product.objects.get(sku="GADGET").name
    assert rows == [
        ["InvoiceNo", "Customer", "InvoiceDate", "DueDate", "Terms", "Item(Product/Service)",
         "ItemDescription", "ItemQuantity", "ItemRate", "ItemAmount"],
        [invoice.number, customer, day.isoformat(), due.isoformat(), "Net 14", "WIDGET",
         widget, "3", "4.00", "12.00"],
        [invoice.number, customer, day.isoformat(), due.isoformat(), "Net 14", "GADGET",
         f"{gadget} (Blue)", "2", "10.00", "20.00"],
    ]
    assert invoice.total == 32
    assert_error(api.get(f"{API}/invoices", {"format": "xml"}), 422,
                 "fulfilment.invalid_format", field="format")

    one = api.get(f"{API}/invoices/{invoice.number}", {"format": "csv"})
    assert one.status_code == 200 and one["Content-Type"].startswith("text/csv")
    assert one["Content-Disposition"] == f'attachment; filename="{invoice.number}.csv"'
    assert list(csv.reader(io.StringIO(one.content.decode()))) == rows
    assert_error(api.get(f"{API}/invoices/{invoice.number}", {"format": "xml"}), 422,
                 "fulfilment.invalid_format", field="format")
    assert_error(api.get(f"{API}/invoices/INV-999999", {"format": "csv"}), 404,
                 "fulfilment.invoice_not_found")


def test_csv_cells_that_start_like_a_formula_are_not_run(api, store):
    """A customer named `=HYPERLINK(...)` must not become a live formula in the
    spreadsheet the accountant opens (CSV injection)."""
    Customer.objects.filter(code="C-ACME").update(name='=HYPERLINK("http://x","a")',
                                                  payment_terms="-1 day")
    placed = place("C-ACME", ("WIDGET", 1))
    made = api.post(f"{API}/orders/{placed.order.number}/fulfil").json()["number"]
    api.post(f"{API}/fulfillments/{made}/dispatch")
    response = api.get(f"{API}/invoices", {"format": "csv"})
    (row,) = list(csv.reader(io.StringIO(response.content.decode())))[1:]
    assert row[1] == '\'=HYPERLINK("http://x","a")'
    assert row[4] == "'-1 day" and row[5] == "WIDGET" and row[7:] == ["1", "4.00", "4.00"]


def test_fulfil_endpoints_status_codes_and_errors(api, store, stock):
    placed = place("C-ACME", ("BOLT", 10))
    (backorder,) = placed.backorders
    stock(store.bolt, 6)
    allocate_to_backorder(backorder.number, "BOLT", 6)
    url = f"{API}/backorders/{backorder.number}/fulfil"

    before = snapshot()
    assert_error(api.post(url, {"lines": [{"sku": "BOLT", "quantity": 7}]}), 409,
                 "fulfilment.over_allocated", field="lines[0].quantity")
    assert_error(api.post(url, {"lines": [{"sku": "BOLT", "quantity": -1}]}), 422,
                 "fulfilment.invalid_quantity", field="lines[0].quantity")
    assert_error(api.post(url, {"lines": [{"sku": "NOPE", "quantity": 1}]}), 404,
                 "catalog.unknown_sku", field="lines[0].sku")
    assert_error(api.post(url, {"lines": [{"sku": "WIDGET", "quantity": 1}]}), 422,
                 "fulfilment.unknown_line", field="lines[0].sku")
    assert_error(api.post(url, {"lines": [{"sku": "BOLT", "quantity": 1},
                                          {"sku": "bolt", "quantity": 1}]}), 422,
                 "fulfilment.duplicate_sku", field="lines[1].sku")
    assert_error(api.post(f"{API}/backorders/fulfil-by-product", {"sku": "WIDGET"}), 409,
                 "fulfilment.nothing_to_fulfil", field="sku")
    assert_error(api.post(f"{API}/backorders/BO-999999/fulfil", {}), 404,
                 "backorders.not_found")
    assert_error(api.post(f"{API}/fulfillments/FF-999999/dispatch", {}), 404,
                 "fulfilment.not_found")
    assert_error(api.get(f"{API}/invoices/INV-999999"), 404, "fulfilment.invoice_not_found")
    assert snapshot() == before

    made = api.post(url, {"lines": [{"sku": "BOLT", "quantity": 4}]})
    assert made.status_code == 201, made.content
    assert made.json()["status"] == "queued" and made.json()["total_quantity"] == 4
    number = made.json()["number"]
    assert api.get(f"{API}/fulfillments/{number}").json() == made.json()

    cancelled = api.post(f"{API}/fulfillments/{number}/cancel")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert_error(api.post(f"{API}/fulfillments/{number}/cancel"), 409,
                 "fulfilment.invalid_transition")


def test_fulfil_all_and_dispatch_need_no_body(api, store, stock):
    """Every field of both is optional: a bare POST is "fulfil all" and a
    dispatch without carrier or tracking number."""
    placed = place("C-ACME", ("BOLT", 3))
    stock(store.bolt, 3)
    allocate_to_backorder(placed.backorders[0].number, "BOLT", 3)
    made = api.post(f"{API}/backorders/{placed.backorders[0].number}/fulfil", raw="")
    assert made.status_code == 201, made.content
    assert made.json()["total_quantity"] == 3
    sent = api.post(f"{API}/fulfillments/{made.json()['number']}/dispatch", raw="")
    assert sent.status_code == 200, sent.content
    assert (sent.json()["status"], sent.json()["carrier"]) == ("dispatched", "")
    assert_error(api.post(f"{API}/backorders/fulfil-by-product", raw=""), 400,
                 "request.missing_body", field="body")


def test_fulfillment_list_filters(api, store, stock):
    first = place("C-ACME", ("BOLT", 2), ("WIDGET", 1))
    second = place("C-VIP", ("BOLT", 3))
    stock(store.bolt, 5)
    allocate_to_backorder(first.backorders[0].number, "BOLT", 2)
    allocate_to_backorder(second.backorders[0].number, "BOLT", 3)
    batch = api.post(f"{API}/backorders/fulfil-by-product", {"sku": "BOLT"})
    assert batch.status_code == 201, batch.content
    assert batch.json()["sku"] == "BOLT"
    by_backorder = [f["backorder"] for f in batch.json()["fulfillments"]]
    assert by_backorder == [first.backorders[0].number, second.backorders[0].number]
    own = api.post(f"{API}/orders/{first.order.number}/fulfil").json()["number"]
    api.post(f"{API}/fulfillments/{own}/dispatch")

    def numbers(**params):
        return [f["number"] for f in api.get(f"{API}/fulfillments", params).json()["items"]]

    ff1, ff2 = (f["number"] for f in batch.json()["fulfillments"])
    assert numbers() == [own, ff2, ff1]
    assert numbers(status="queued") == [ff2, ff1]
    assert numbers(status="dispatched") == [own]
    assert numbers(order=first.order.number) == [own, ff1]
    assert numbers(backorder=second.backorders[0].number) == [ff2]
    assert numbers(order="SO-999999") == []
    assert_error(api.get(f"{API}/fulfillments", {"status": "lost"}), 422,
                 "fulfilment.invalid_filter", field="status")


def test_the_warehouse_fulfils_and_dispatches_and_sales_reads(make_api, store):
    placed = place("C-ACME", ("WIDGET", 2))
    sales, warehouse = make_api("sales"), make_api("warehouse")
    assert_error(sales.post(f"{API}/orders/{placed.order.number}/fulfil"), 403,
                 "auth.forbidden")
    made = warehouse.post(f"{API}/orders/{placed.order.number}/fulfil")
    assert made.status_code == 201
    assert sales.get(f"{API}/fulfillments").json()["count"] == 1
    assert warehouse.post(f"{API}/fulfillments/{made.json()['number']}/dispatch").status_code \
        == 200
    assert_error(sales.post(f"{API}/fulfillments/{made.json()['number']}/cancel"), 403,
                 "auth.forbidden")
    assert sales.get(f"{API}/invoices").json()["count"] == 1

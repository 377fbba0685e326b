"""Invoice list with filters and the QuickBooks CSV, and the invoice detail."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest

from fillrate.fulfilment.models import Invoice
from fillrate.fulfilment.selectors import CSV_HEADER
from fillrate.workflows.dispatch import dispatch_fulfillment
from fillrate.workflows.fulfil import fulfil_backorder

pytestmark = pytest.mark.django_db


@pytest.fixture
def invoiced(waiting) -> tuple[Invoice, Invoice]:
    """C-BEAN's 5 beans and C-WHARF's 2 dispatched: one invoice each."""
    for b in (waiting.bean, waiting.wharf):
        dispatch_fulfillment(number=fulfil_backorder(number=b.number).number,
                             carrier="DHL", tracking_number="T")
    bean, wharf = Invoice.objects.order_by("id")
    return bean, wharf


def test_list_filters_by_customer_and_order(admin_web, waiting, invoiced):
    bean, wharf = invoiced

    def listed(**params):
        response = admin_web.get("/invoices/", params)
        assert response.status_code == 200
        return [inv.number for inv in response.context["page"]]

    assert listed() == [wharf.number, bean.number]
    assert listed(customer="C-BEAN") == [bean.number]
    assert listed(order=waiting.wharf_order.number) == [wharf.number]
    assert listed(order="garbage") == []
    body = admin_web.get("/invoices/", {"customer": "C-BEAN"}).content.decode()
    assert 'href="/invoices.csv?customer=C-BEAN"' in body
    assert "Download CSV" in body


def test_csv_download_has_the_quickbooks_columns_and_the_same_filters(admin_web, waiting,
                                                                      invoiced):
    bean, wharf = invoiced
    response = admin_web.get("/invoices.csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"] == 'attachment; filename="invoices.csv"'
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == CSV_HEADER
    assert rows[0][:2] == ["InvoiceNo", "Customer"] and "ItemAmount" in rows[0]
    assert [r[0] for r in rows[1:]] == [bean.number, wharf.number]
    line = bean.lines.get()
    assert rows[1] == [bean.number, "Bean There Coffee", bean.invoice_date.isoformat(),
                       bean.due_date.isoformat(), bean.customer.payment_terms, "COF-ESP-1KG",
                       line.description, "5", f"{line.rate:.2f}", f"{line.amount:.2f}"]
    only = list(csv.reader(io.StringIO(
        admin_web.get("/invoices.csv", {"customer": "C-WHARF"}).content.decode())))
    assert [r[0] for r in only[1:]] == [wharf.number]


def test_one_invoice_downloads_as_csv_from_its_page(admin_web, waiting, invoiced):
    bean, wharf = invoiced
    body = admin_web.get(f"/invoices/{bean.number}/").content.decode()
    assert f'href="/invoices/{bean.number}.csv"' in body
    response = admin_web.get(f"/invoices/{bean.number}.csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"] == f'attachment; filename="{bean.number}.csv"'
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == CSV_HEADER and [r[0] for r in rows[1:]] == [bean.number]
    assert admin_web.get("/invoices/INV-999999.csv").status_code == 404


def test_detail_shows_lines_at_locked_prices_totals_and_links(admin_web, waiting, invoiced):
    bean, _ = invoiced
    response = admin_web.get(f"/invoices/{bean.number}/")
    assert response.status_code == 200
    body = response.content.decode()
    line = bean.lines.get()
    assert [(x.product.sku, x.quantity, x.rate, x.amount) for x in response.context["lines"]] \
        == [("COF-ESP-1KG", 5, line.rate, line.rate * 5)]
    assert bean.total == line.rate * 5 and bean.total > Decimal("0")
    assert f'<dd id="invoice-total">${bean.total}</dd>' in body
    assert f'<dd id="invoice-due">{bean.due_date:%Y-%m-%d}</dd>' in body
    assert f'href="/fulfillments/{bean.fulfillment.number}/"' in body
    assert f'href="/orders/{waiting.bean_order.number}/"' in body


def test_an_unknown_invoice_is_404(admin_web, db):
    assert admin_web.get("/invoices/INV-000009/").status_code == 404

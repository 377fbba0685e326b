"""Editing products, customers and suppliers on their pages; discontinuing a
product with its dialog; the customer and product pages' overviews; the
as-you-type suggestions."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from fillrate.accounts.permissions import Role
from fillrate.backorders.models import Backorder
from fillrate.catalog.models import Product
from fillrate.core.models import Event
from fillrate.customers.models import Customer
from fillrate.orders.services import LineInput
from fillrate.purchasing.models import Supplier
from fillrate.purchasing.services import PurchaseLineInput, create_supplier
from fillrate.workflows.adjust_stock import adjust_stock_and_feed
from fillrate.workflows.dispatch import dispatch_fulfillment
from fillrate.workflows.fulfil import fulfil_order
from fillrate.workflows.invariants import all_problems
from fillrate.workflows.payments import pay_order
from fillrate.workflows.place_order import place_order
from fillrate.workflows.purchase_orders import create_purchase_order
from tests.factories import CustomerFactory, ProductFactory, SalesRepFactory
from tests.helpers import db_state


@pytest.fixture
def mug(db):
    return ProductFactory(sku="MUG-1", name="Mug", list_price=Decimal("10.00"))


# --- product edit --------------------------------------------------------------

def test_edit_product_price_shows_on_the_product_page(admin_web, mug):
    page = admin_web.get("/products/MUG-1/")
    assert 'href="/products/MUG-1/edit/"' in page.content.decode()
    form = admin_web.get("/products/mug-1/edit/")
    assert form.status_code == 200 and 'value="10.00"' in form.content.decode()
    response = admin_web.post("/products/MUG-1/edit/", {
        "name": "Mug", "variant": "Blue", "upc": "", "category": "", "description": "",
        "list_price": "12.50"})
    assert response.status_code == 302 and response["Location"] == "/products/MUG-1/"
    page = admin_web.get("/products/MUG-1/")
    assert page.context["product"].list_price == Decimal("12.50")
    assert "12.50" in page.content.decode()
    assert list(Event.objects.filter(type="ProductUpdated").values_list(
        "payload__field", flat=True)) == ["variant", "list_price"]


@pytest.mark.parametrize(("price", "name", "message"), [
    ("abc", "Mug", "Enter a price like 12.50."),
    ("-1", "Mug", "list price is an amount of money"),
    ("5", "", "a product needs a name"),
])
def test_edit_product_refusals_show_on_the_field(admin_web, mug, price, name, message):
    before = db_state(), list(Product.objects.values())
    response = admin_web.post("/products/MUG-1/edit/", {"name": name, "list_price": price})
    assert response.status_code == 422
    assert message in response.content.decode()
    assert (db_state(), list(Product.objects.values())) == before


def test_roles_without_catalog_manage_see_no_edit_and_are_refused(login, mug):
    client = login(Role.SALES)
    html = client.get("/products/MUG-1/").content.decode()
    assert "/edit/" not in html and 'id="discontinue"' not in html
    before = db_state(), list(Product.objects.values())
    assert client.get("/products/MUG-1/edit/").status_code == 403
    assert client.post("/products/MUG-1/edit/", {"name": "x", "list_price": "1"}
                       ).status_code == 403
    assert client.post("/products/MUG-1/discontinue/", {"cancel_backorders": "on"}
                       ).status_code == 403
    assert (db_state(), list(Product.objects.values())) == before


def test_unknown_product_edit_is_404(admin_web, db):
    assert admin_web.get("/products/NOPE/edit/").status_code == 404


# --- discontinue -------------------------------------------------------------------

@pytest.fixture
def waiting(mug, stock):
    customers = [CustomerFactory(code=f"C-{n}") for n in range(3)]
    numbers = [place_order(customer=c.code, lines=[LineInput("MUG-1", 2)]).backorders[0].number
               for c in customers[:2]]
    return numbers


def test_discontinue_dialog_asks_about_the_waiting_backorders(admin_web, waiting):
    html = admin_web.get("/products/MUG-1/").content.decode()
    assert '<dialog id="discontinue"' in html
    assert "2 open backorders wait for this product:" in html
    assert 'name="cancel_backorders"' in html
    # Without JavaScript the button is a link to the same question as a page.
    page = admin_web.get("/products/MUG-1/discontinue/").content.decode()
    assert "2 open backorders wait for this product:" in page


def test_discontinue_cancelling_backorders(admin_web, waiting):
    response = admin_web.post("/products/MUG-1/discontinue/", {"cancel_backorders": "on"},
                              follow=True)
    assert Product.objects.get(sku="MUG-1").discontinued
    assert sorted(Backorder.objects.values_list("status", "cancel_reason")) == [
        ("cancelled", "product_discontinued")] * 2
    html = response.content.decode()
    assert "2 backorders cancelled (product discontinued)" in html
    assert "Nobody is waiting for it." in html
    assert all_problems() == []


def test_discontinue_keeping_backorders(admin_web, waiting):
    admin_web.post("/products/MUG-1/discontinue/", {})
    assert Product.objects.get(sku="MUG-1").discontinued
    assert set(Backorder.objects.values_list("status", flat=True)) == {"open"}


# --- product page: who waits, what is coming ----------------------------------------

def test_product_page_lists_who_waits_oldest_first_and_what_is_incoming(admin_web, waiting):
    create_supplier(code="SUP", name="Supplies Ltd")
    po = create_purchase_order(supplier="SUP", lines=[PurchaseLineInput("MUG-1", 7)])
    response = admin_web.get("/products/MUG-1/")
    rows = response.context["waiting"]
    assert [x.backorder.number for x in rows] == waiting
    assert [(x.backorder.customer.code, x.open_units) for x in rows] == [("C-0", 2), ("C-1", 2)]
    assert [(x.purchase_order.number, x.outstanding_units) for x in response.context[
        "incoming"]] == [(po.number, 7)]
    html = response.content.decode()
    assert po.number in html and "Supplies Ltd" in html
    assert html.index(waiting[0]) < html.index(waiting[1])


def test_product_page_costs_the_same_for_few_or_many_waiting(admin_web, mug,
                                                             django_assert_max_num_queries):
    create_supplier(code="SUP", name="Supplies Ltd")

    def add(n: int) -> None:
        for _ in range(n):
            code = f"C-W{Customer.objects.count()}"
            CustomerFactory(code=code)
            place_order(customer=code, lines=[LineInput("MUG-1", 1)])
            create_purchase_order(supplier="SUP", lines=[PurchaseLineInput("MUG-1", 1)])

    add(1)
    with CaptureQueriesContext(connection) as few:
        admin_web.get("/products/MUG-1/")
    add(14)
    # one of them reads the business settings for the currency money is shown in
    with django_assert_max_num_queries(9), CaptureQueriesContext(connection) as many:
        response = admin_web.get("/products/MUG-1/")
    assert len(response.context["waiting"]) == 15 and len(response.context["incoming"]) == 15
    assert len(many) == len(few)


# --- customer edit and page ------------------------------------------------------------

def test_edit_customer(admin_web, db):
    SalesRepFactory(code="REP-A", name="Chloe")
    CustomerFactory(code="C-1", name="Bean")
    assert 'href="/customers/C-1/edit/"' in admin_web.get("/customers/C-1/").content.decode()
    response = admin_web.post("/customers/C-1/edit/", {
        "name": "Bean There", "email": "", "phone": "555", "vip": "on", "sales_rep": "REP-A",
        "delivery_address": "1 High St", "payment_terms": "net 30"})
    assert response.status_code == 302
    customer = Customer.objects.get(code="C-1")
    assert (customer.name, customer.vip, customer.sales_rep.code) == ("Bean There", True,
                                                                      "REP-A")


def test_edit_customer_refusals(admin_web, db):
    CustomerFactory(code="C-1", name="Bean")
    before = db_state(), list(Customer.objects.values())
    response = admin_web.post("/customers/C-1/edit/", {"name": "Bean", "email": "nope",
                                                       "sales_rep": ""})
    assert response.status_code == 422 and "is not an email address" in response.content.decode()
    response = admin_web.post("/customers/C-1/edit/", {"name": "Bean", "sales_rep": "GONE"})
    assert response.status_code == 422 and "no sales rep" in response.content.decode()
    assert (db_state(), list(Customer.objects.values())) == before


def test_warehouse_cannot_edit_customers(login, db):
    CustomerFactory(code="C-1", name="Bean")
    client = login(Role.WAREHOUSE)
    assert "/edit/" not in client.get("/customers/C-1/").content.decode()
    assert client.post("/customers/C-1/edit/", {"name": "x"}).status_code == 403
    assert Customer.objects.get(code="C-1").name == "Bean"


@pytest.fixture
def busy_customer(db, stock):
    """C-1: three orders of MUG-1 (10.00 each unit): two shipped and
    invoiced (2 and 3 units; the first paid), one waiting on a backorder."""
    stock(quantity=5, sku="MUG-1", list_price=Decimal("10.00"))
    CustomerFactory(code="C-1", name="Bean")
    invoices = []
    for quantity in (2, 3):
        order = place_order(customer="C-1", lines=[LineInput("MUG-1", quantity)]).order
        fulfillment = dispatch_fulfillment(number=fulfil_order(number=order.number).number)
        invoices.append(fulfillment.invoice)
        if quantity == 2:
            pay_order(number=order.number)
    waiting = place_order(customer="C-1", lines=[LineInput("MUG-1", 4)])
    return {"invoices": invoices, "backorder": waiting.backorders[0].number,
            "order": waiting.order.number}


def test_customer_page_shows_orders_backorders_fulfillments_invoices_and_owed(admin_web,
                                                                             busy_customer):
    response = admin_web.get("/customers/C-1/")
    overview = response.context["overview"]
    assert overview.order_count == 3 and len(overview.fulfillments) == 2
    assert [b.number for b in overview.backorders] == [busy_customer["backorder"]]
    assert overview.amount_owed == Decimal("30.00")  # the unpaid invoice only
    html = response.content.decode()
    for text in (busy_customer["backorder"], busy_customer["order"],
                 *(i.number for i in busy_customer["invoices"]), "30.00"):
        assert text in html, text


def test_customer_page_costs_the_same_for_few_or_many_rows(admin_web, busy_customer, stock,
                                                          django_assert_max_num_queries):
    adjust_stock_and_feed(product_id=Product.objects.get(sku="MUG-1").id, quantity=40,
                          reason="found")
    ProductFactory(sku="TEA-1")  # none in stock: every order of it waits
    with CaptureQueriesContext(connection) as few:
        admin_web.get("/customers/C-1/")
    for _ in range(12):
        order = place_order(customer="C-1", lines=[LineInput("MUG-1", 1)]).order
        dispatch_fulfillment(number=fulfil_order(number=order.number).number)
        place_order(customer="C-1", lines=[LineInput("TEA-1", 2)])
    # 15: two of them read the customer's credits and refunds
    # one more: the customer's notification preference (comms)
    with django_assert_max_num_queries(16), CaptureQueriesContext(connection) as many:
        response = admin_web.get("/customers/C-1/")
    assert len(response.context["overview"].invoices) == 14
    assert len(many) == len(few)


# --- suppliers -------------------------------------------------------------------------

def test_edit_supplier(admin_web, db):
    create_supplier(code="SUP", name="Supplies", lead_time_days=7)
    assert 'href="/suppliers/SUP/edit/"' in admin_web.get("/suppliers/").content.decode()
    response = admin_web.post("/suppliers/SUP/edit/", {"name": "Supplies Ltd", "email": "",
                                                       "lead_time_days": "12"})
    assert response.status_code == 302
    assert Supplier.objects.get().lead_time_days == 12
    before = db_state(), list(Supplier.objects.values())
    response = admin_web.post("/suppliers/SUP/edit/", {"name": "S", "lead_time_days": "soon"})
    assert response.status_code == 422 and "Enter a whole number of days." in \
        response.content.decode()
    assert (db_state(), list(Supplier.objects.values())) == before


def test_sales_cannot_edit_suppliers(login, db):
    create_supplier(code="SUP", name="Supplies")
    client = login(Role.SALES)
    assert "/edit/" not in client.get("/suppliers/").content.decode()
    assert client.post("/suppliers/SUP/edit/", {"name": "x"}).status_code == 403


# --- suggestions -----------------------------------------------------------------------

def test_suggestions_by_name_or_code(login, db):
    CustomerFactory(code="C-BEAN", name="Bean There")
    CustomerFactory(code="C-IVY", name="Ivy Lane", vip=True)
    ProductFactory(sku="MUG-1", name="Enamel mug")
    ProductFactory(sku="TEA-1", name="Green tea")
    client = login(Role.WAREHOUSE)
    html = client.get("/suggest/customers/", {"customer": "ivy", "list": "bo-c"}
                      ).content.decode()
    assert html.startswith('<datalist id="bo-c">')
    assert '<option value="C-IVY">Ivy Lane (VIP)</option>' in html and "C-BEAN" not in html
    html = client.get("/suggest/products/", {"sku": "GREEN"}).content.decode()
    assert 'value="TEA-1"' in html and "MUG-1" not in html
    assert "<option" not in client.get("/suggest/products/", {"sku": ""}).content.decode()


def test_entry_and_filters_ask_for_suggestions_as_you_type(admin_web, db):
    for path, hook in (("/orders/new/", "/suggest/customers/?list=customer-options"),
                       ("/orders/", "/suggest/customers/?list=customer-options"),
                       ("/backorders/", "/suggest/products/?list=bo-sku-options"),
                       ("/backorders/", "/suggest/customers/?list=bo-customer-options"),
                       ("/purchase-orders/", "/suggest/products/?list=po-sku-options"),
                       ("/invoices/", "/suggest/customers/?list=inv-customer-options"),
                       ("/fulfil/", "/suggest/products/?list=ff-sku-options")):
        html = admin_web.get(path).content.decode()
        assert f'hx-get="{hook}"' in html, (path, hook)
        assert 'hx-trigger="keyup changed delay:200ms"' in html


def test_changes_show_in_the_pages_history_with_old_and_new(admin_web, mug):
    admin_web.post("/products/MUG-1/edit/", {"name": "Mug", "list_price": "11.00"})
    html = admin_web.get("/products/MUG-1/").content.decode()
    assert "Product updated" in html and "List price: 10.00 → 11.00" in html

"""Real SKUs and customer codes contain `/`, `#`, `+`, `?`, `%` and letters
beyond ASCII: they work on every page and endpoint that names them."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from django.urls import reverse

from fillrate.backorders.models import Backorder
from fillrate.orders.models import SalesOrder
from tests.helpers import assert_error, db_state
from tests.web.conftest import admin_web, login  # noqa: F401

pytestmark = pytest.mark.django_db

SKU = "SL/1#2+ß"
CUSTOMER = "ACME/NORD#1+Ø"
API = "/api/v1"


def test_a_sku_and_customer_code_with_any_character_work_everywhere(api, admin_web,  # noqa: F811
                                                                     pick_location):
    created = api.post(f"{API}/products", {"sku": SKU, "name": "Slash thing",
                                           "list_price": "3.00"})
    assert created.status_code == 201, created.content
    assert api.post(f"{API}/customers", {"code": CUSTOMER, "name": "Acme Nord"}
                    ).status_code == 201
    assert api.post(f"{API}/stock/adjustments", {"sku": SKU, "quantity": 2,
                                                 "reason": "found"}).status_code == 201

    encoded = quote(SKU, safe="")
    detail = api.get(f"{API}/products/{encoded}")
    assert detail.status_code == 200 and detail.json()["sku"] == SKU
    assert api.get(f"{API}/customers/{quote(CUSTOMER, safe='')}").json()["code"] == CUSTOMER
    patched = api.patch(f"{API}/products/{encoded}", {"name": "Renamed"})
    assert patched.status_code == 200 and patched.json()["name"] == "Renamed"

    # order entry on the page; 2 ship from stock, 3 are backordered
    response = admin_web.post("/orders/new/", {"customer": CUSTOMER, "reference": "",
                                               "sku": [SKU], "quantity": ["5"],
                                               "unit_price": [""]})
    body = response.content.decode()
    assert response.status_code == 302, body[body.find("role=\"alert\""):][:600]
    order = SalesOrder.objects.get()
    backorder = Backorder.objects.get()
    assert api.get(f"{API}/orders/{order.number}").json()["lines"][0]["sku"] == SKU

    product_url = reverse("web:product", kwargs={"sku": SKU})
    customer_url = reverse("web:customer", kwargs={"code": CUSTOMER})
    for url in (product_url, "/products/", customer_url, "/customers/",
                f"/orders/{order.number}/", "/orders/", f"/backorders/{backorder.number}/",
                "/backorders/", reverse("web:product_edit", kwargs={"sku": SKU}),
                reverse("web:customer_edit", kwargs={"code": CUSTOMER})):
        page = admin_web.get(url)
        assert page.status_code == 200, url
    assert SKU in admin_web.get(product_url).content.decode().replace("&#x27;", "'")
    assert f'href="{product_url}"' in admin_web.get("/products/").content.decode()

    # an API order naming both
    placed = api.post(f"{API}/orders", {"customer": CUSTOMER,
                                        "lines": [{"sku": SKU, "quantity": 1}]})
    assert placed.status_code == 201 and placed.json()["lines"][0]["sku"] == SKU
    listed = api.get(f"{API}/backorders", {"sku": SKU}).json()
    assert backorder.number in [b["number"] for b in listed["items"]]


def test_a_sku_whose_end_looks_like_an_action_still_reads(api, pick_location):
    assert api.post(f"{API}/products", {"sku": "A/B", "name": "AB",
                                        "list_price": "1.00"}).status_code == 201
    assert api.get(f"{API}/products/A%2FB").json()["sku"] == "A/B"
    assert api.get(f"{API}/products/A%2FC").status_code == 404


def test_a_supplier_code_with_a_slash_is_read_back(api):
    assert api.post(f"{API}/suppliers", {"code": "SUP/1#ß", "name": "Slash supplies",
                                         "lead_time_days": 3}).status_code == 201
    assert api.get(f"{API}/suppliers/{quote('SUP/1#ß', safe='')}").json()["code"] == "SUP/1#ß"


@pytest.mark.parametrize(("path", "body", "code"), [
    ("/warehouses", {"code": "WH/2", "name": "Two"}, "inventory.invalid_warehouse_code"),
    ("/locations", {"warehouse": "MAIN", "code": "A/01", "kind": "bulk", "pick_sequence": 5},
     "inventory.invalid_location_code"),
    ("/sales-reps", {"code": "REP/1", "name": "Rep", "email": "rep@example.com"},
     "customers.invalid_sales_rep_code"),
])
def test_reference_codes_with_a_slash_are_refused(api, pick_location, path, body, code):
    before = db_state()
    assert_error(api.post(f"{API}{path}", body), 422, code, field="code")
    assert db_state() == before


@pytest.mark.parametrize(("kind", "text"), [
    ("locations", "warehouse,code,kind\r\nMAIN,A/01,bulk\r\n"),
    ("locations", "warehouse,code,kind\r\nWH/2,A-01,bulk\r\n"),
    ("sales-reps", "code,name\r\nREP/1,Rep\r\n"),
])
def test_reference_codes_with_a_slash_are_refused_at_import(api, pick_location, kind, text):
    before = db_state()
    response = api.client.post(f"{API}/imports/{kind}", text.encode(), content_type="text/csv",
                               headers={"Authorization": f"Bearer {api.token}"})
    assert response.status_code == 422, response.content
    assert "'/'" in response.content.decode()
    assert db_state() == before


def test_the_edit_page_links_back_to_an_encoded_product_page(api, admin_web,  # noqa: F811
                                                            pick_location):
    api.post(f"{API}/products", {"sku": "E/1#x", "name": "E", "list_price": "1.00"})
    page = admin_web.get(reverse("web:product_edit", kwargs={"sku": "E/1#x"}))
    assert page.status_code == 200
    assert 'href="/products/E/1%23x/"' in page.content.decode()

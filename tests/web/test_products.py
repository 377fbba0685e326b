"""The product list with live search, and the product page."""

from __future__ import annotations

from django.urls import reverse

from fillrate.accounts.permissions import Role
from tests.factories import ProductFactory
from tests.web.conftest import HTMX


def test_the_list_shows_each_products_stock_figures(login, stock, bulk_location):
    kettle = stock(quantity=7, sku="KET-1", name="Gooseneck Kettle")
    stock(kettle, 5, location=bulk_location)
    ProductFactory(sku="MUG-1", name="Mug")
    response = login(Role.SALES).get(reverse("web:products"))
    assert response.status_code == 200
    rows = {p.sku: p for p in response.context["page"]}
    assert (rows["KET-1"].on_hand, rows["KET-1"].allocated, rows["KET-1"].available,
            rows["KET-1"].backordered, rows["KET-1"].incoming) == (12, 0, 12, 0, 0)
    assert rows["MUG-1"].on_hand == 0
    html = response.content.decode()
    for heading in ("On hand", "Allocated", "Available", "Backordered", "Incoming"):
        assert f">{heading}</th>" in html
    assert 'hx-get="/products/"' in html


def test_search_narrows_the_list(admin_web, db):
    ProductFactory(sku="KET-1", name="Gooseneck Kettle")
    ProductFactory(sku="MUG-1", name="Mug", category="Cups")
    response = admin_web.get(reverse("web:products"), {"q": "kettle"})
    assert [p.sku for p in response.context["page"]] == ["KET-1"]
    assert response.context["q"] == "kettle"
    assert 'value="kettle"' in response.content.decode()
    response = admin_web.get(reverse("web:products"), {"q": "cups"})
    assert [p.sku for p in response.context["page"]] == ["MUG-1"]


def test_htmx_search_answers_with_the_rows_partial_only(admin_web, db):
    ProductFactory(sku="KET-1", name="Gooseneck Kettle")
    ProductFactory(sku="MUG-1", name="Mug")
    response = admin_web.get(reverse("web:products"), {"q": "mug"},
                             headers={**HTMX, "HX-Target": "product-rows"})
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<div id="product-rows">')
    assert "<html" not in html and "<header" not in html and "<h1>" not in html
    assert "MUG-1" in html and "KET-1" not in html


def test_no_match_says_so(admin_web, db):
    ProductFactory(sku="KET-1")
    response = admin_web.get(reverse("web:products"), {"q": "zzz"},
                             headers={**HTMX, "HX-Target": "product-rows"})
    assert "No products match “zzz”." in response.content.decode()


def test_the_list_pages_through_many_products(admin_web, db):
    for n in range(55):
        ProductFactory(sku=f"P-{n:03d}")
    first = admin_web.get(reverse("web:products"))
    assert len(first.context["page"]) == 50
    assert "Page 1 of 2" in first.content.decode()
    second = admin_web.get(reverse("web:products"), {"page": 2})
    assert [p.sku for p in second.context["page"]] == [f"P-{n:03d}" for n in range(50, 55)]


def test_the_product_page_shows_stock_by_location_and_recent_movements(
        login, stock, pick_location, bulk_location):
    product = stock(quantity=7, sku="KET-1", name="Gooseneck Kettle")
    stock(product, 5, location=bulk_location)
    response = login(Role.SALES).get(reverse("web:product", args=["KET-1"]))
    assert response.status_code == 200
    assert response.context["product"].on_hand == 12
    assert [(lv.location.code, lv.on_hand) for lv in response.context["levels"]] == [
        ("A-01", 7), ("B-01", 5)]
    assert [(m.location.code, m.quantity) for m in response.context["movements"]] == [
        ("B-01", 5), ("A-01", 7)]
    html = response.content.decode()
    assert '<span id="fig-on-hand">12</span>' in html
    assert "Adjust stock</a>" not in html  # sales may not adjust


def test_roles_that_may_adjust_get_the_button(login, stock):
    stock(quantity=3, sku="KET-1")
    html = login(Role.WAREHOUSE).get(reverse("web:product", args=["KET-1"])).content.decode()
    assert f'href="{reverse("web:adjust_stock")}?sku=KET-1"' in html


def test_an_unknown_sku_is_a_404_page(admin_web, db):
    response = admin_web.get(reverse("web:product", args=["NOPE"]))
    assert response.status_code == 404
    assert "no product with SKU &#x27;NOPE&#x27;" in response.content.decode()

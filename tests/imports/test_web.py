"""The Import page (upload, preview with the errors marked, confirm once)
and the Export CSV links of the list pages."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile

from fillrate.accounts.permissions import Role
from fillrate.catalog.models import Product
from fillrate.orders.services import LineInput
from fillrate.web.models import ImportUpload
from fillrate.workflows.place_order import place_order
from tests.factories import CustomerFactory, ProductFactory
from tests.helpers import db_state


def upload(client, kind: str, text: str, name: str = "file.csv"):
    return client.post("/import/", {"kind": kind, "file": SimpleUploadedFile(
        name, text.encode(), content_type="text/csv")})


def test_the_preview_marks_every_error_and_offers_no_confirm(login):
    client = login(Role.SUPERVISOR)
    before = db_state()
    response = upload(client, "products", "sku,name,list_price\nA-1,Apple,1.50\nB-2,,x\n")
    assert response.status_code == 422
    page = response.content.decode()
    assert '<tr data-row="3" class="row-error">' in page
    assert 'data-error="is required"' in page
    assert "is not an amount" in page
    assert 'id="import-confirm"' not in page
    assert db_state()["catalog.Product"] == before["catalog.Product"] == 0


def test_confirm_imports_what_was_previewed_once(login):
    client = login(Role.ADMINISTRATOR)
    response = upload(client, "products", "sku,name,list_price\nA-1,Apple,1.50\n")
    assert response.status_code == 200
    assert "1 to create" in response.content.decode()
    assert not Product.objects.exists()
    token = ImportUpload.objects.get().token
    response = client.post("/import/confirm/", {"token": token}, follow=True)
    assert "imported 1 products: 1 created" in response.content.decode()
    assert Product.objects.get().sku == "A-1"
    assert not ImportUpload.objects.exists()
    response = client.post("/import/confirm/", {"token": token}, follow=True)
    assert "imported already or has expired" in response.content.decode()
    assert Product.objects.count() == 1


def test_another_users_token_imports_nothing(login):
    upload(login(Role.ADMINISTRATOR), "products", "sku,name,list_price\nA-1,Apple,1\n")
    other = login(Role.SUPERVISOR)
    other.post("/import/confirm/", {"token": ImportUpload.objects.get().token})
    assert not Product.objects.exists()


def test_the_import_page_is_for_administrators_and_supervisors(login):
    assert login(Role.SUPERVISOR).get("/import/").status_code == 200
    for role in (Role.WAREHOUSE, Role.SALES):
        client = login(role)
        assert client.get("/import/").status_code == 403
        assert upload(client, "products", "sku,name,list_price\nA,B,1\n").status_code == 403
    assert not Product.objects.exists()


def test_the_template_is_shown_for_a_kind(login):
    page = login().get("/import/?kind=stock").content.decode()
    assert "sku,warehouse,location,quantity" in page


def test_export_links_export_what_the_filters_show(login, stock):
    client = login(Role.SALES)
    ProductFactory(sku="APPLE-1", name="Apple")
    ProductFactory(sku="PEAR-1", name="Pear")
    page = client.get("/products/?q=apple").content.decode()
    assert 'href="/export/products.csv?q=apple"' in page
    body = b"".join(client.get("/export/products.csv?q=apple").streaming_content).decode()
    assert body.splitlines()[1:] == ["APPLE-1,Apple,,,,,10.00,false"]
    customer = CustomerFactory(code="C-ONE")
    CustomerFactory(code="C-TWO")
    stock(Product.objects.get(sku="APPLE-1"), 5)
    place_order(customer=customer.code, lines=[LineInput("APPLE-1", 1)])
    place_order(customer="C-TWO", lines=[LineInput("PEAR-1", 1)])  # a backorder
    orders = b"".join(client.get("/export/orders.csv?customer=C-ONE").streaming_content)
    assert [row.split(",")[1] for row in orders.decode().splitlines()[1:]] == ["C-ONE"]
    backorders = b"".join(client.get("/export/backorders.csv?customer=C-ONE")
                          .streaming_content).decode()
    assert backorders.splitlines()[1:] == []
    backorders = b"".join(client.get("/export/backorders.csv").streaming_content).decode()
    assert len(backorders.splitlines()) == 2
    assert 'href="/export/orders.csv?customer=C-ONE"' in client.get(
        "/orders/?customer=C-ONE").content.decode()


def test_exports_need_the_view_permission_and_a_known_kind(login):
    assert login(Role.WAREHOUSE).get("/export/nothing.csv").status_code == 404
    response = login(Role.SALES).get("/export/stock.csv")
    assert response.status_code == 200
    assert login().get("/export/orders.csv?status=bogus").status_code == 200


def test_the_locations_and_sales_reps_pages_export_their_rows(login):
    from tests.factories import LocationFactory, SalesRepFactory

    LocationFactory(code="A-07", kind="pick", pick_sequence=7)
    SalesRepFactory(code="REP-ANNA", name="Anna")
    client = login()
    assert 'href="/export/locations.csv"' in client.get("/locations/").content.decode()
    assert 'href="/export/sales-reps.csv"' in client.get("/sales-reps/").content.decode()
    rows = b"".join(client.get("/export/locations.csv").streaming_content).decode()
    assert any(",A-07," in row for row in rows.splitlines()[1:])
    rows = b"".join(client.get("/export/sales-reps.csv").streaming_content).decode()
    assert rows.splitlines()[1].startswith("REP-ANNA,Anna")

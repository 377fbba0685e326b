"""Who may open and use the fulfilment pages: every role reads fulfillments
and invoices; only roles with `backorders.fulfil` fulfil and only roles with
`fulfilment.manage` dispatch, cancel or deliver."""

from __future__ import annotations

import pytest

from fillrate.accounts.permissions import Role
from fillrate.workflows.fulfil import fulfil_backorder
from tests.helpers import db_state

pytestmark = pytest.mark.django_db

PAGES = ["/fulfil/", "/fulfillments/", "/fulfillments/FF-000001/", "/invoices/",
         "/invoices.csv", "/invoices/INV-000001/"]


@pytest.mark.parametrize("url", PAGES)
def test_anonymous_is_sent_to_log_in(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"/login/?next={url}"


@pytest.fixture
def queued(waiting):
    return fulfil_backorder(number=waiting.bean.number)


@pytest.mark.parametrize("method,url", [
    ("get", "/fulfil/"),
    ("post", "/fulfil/BO-000001/"),
    ("post", "/fulfil/by-product/"),
    ("post", "/fulfillments/FF-000001/dispatch/"),
    ("post", "/fulfillments/FF-000001/cancel/"),
    ("post", "/fulfillments/FF-000001/deliver/"),
])
def test_sales_may_not_fulfil_or_dispatch(login, queued, method, url):
    client = login(Role.SALES)
    before = db_state()
    response = getattr(client, method)(url, {"action": "all", "sku": "COF-ESP-1KG",
                                             "carrier": "DHL"})
    assert response.status_code == 403
    assert "Not allowed" in response.content.decode()
    assert db_state() == before


def test_sales_reads_fulfillments_and_invoices_without_the_buttons(login, waiting, queued):
    client = login(Role.SALES)
    detail = client.get(f"/fulfillments/{queued.number}/")
    assert detail.status_code == 200
    body = detail.content.decode()
    assert 'name="carrier"' not in body and "Cancel fulfillment" not in body
    assert client.get("/fulfillments/").status_code == 200
    assert client.get("/invoices/").status_code == 200
    assert client.get("/invoices.csv").status_code == 200
    listing = client.get("/backorders/").content.decode()
    assert "Fulfillable backorders" not in listing
    bo = client.get(f"/backorders/{waiting.wharf.number}/").content.decode()
    assert 'href="/fulfil/?backorder=' not in bo
    nav = [item["label"] for item in detail.context["nav"]]
    assert "Fulfil" not in nav and "Fulfillments" in nav and "Invoices" in nav


@pytest.mark.parametrize("role", [Role.WAREHOUSE, Role.SUPERVISOR])
def test_warehouse_and_supervisors_fulfil_and_dispatch(login, waiting, role):
    client = login(role)
    page = client.get("/fulfil/")
    assert page.status_code == 200
    assert [item["label"] for item in page.context["nav"] if item["active"]] == ["Fulfil"]
    assert client.post(f"/fulfil/{waiting.bean.number}/", {"action": "all"}).status_code == 302
    (number,) = [f.number for f, _ in client.get("/fulfillments/").context["rows"]]
    response = client.post(f"/fulfillments/{number}/dispatch/", {"carrier": "UPS"})
    assert response.status_code == 302
    assert "Dispatched</span>" in client.get(response["Location"]).content.decode()

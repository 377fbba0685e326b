"""`POST /api/v1/imports/{kind}`: a text/csv body; 201 with counts or 422 with
every error; nothing written on failure or on a dry run."""

from __future__ import annotations

from fillrate.accounts.permissions import Role
from fillrate.catalog.models import Product
from tests.factories import ProductFactory
from tests.helpers import db_state

URL = "/api/v1/imports/"
GOOD = b"sku,name,list_price\r\nA-1,Apple,1.50\r\nB-2,Banana,2\r\n"


def post(client, kind: str, body: bytes, content_type: str = "text/csv", **params):
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return client.client.post(URL + kind + (f"?{query}" if query else ""), body,
                              content_type=content_type,
                              headers={"Authorization": f"Bearer {client.token}"})


def test_an_import_is_201_with_counts(api, db):
    ProductFactory(sku="B-2", name="Banana")
    response = post(api, "products", GOOD)
    assert response.status_code == 201, response.content
    body = response.json()
    assert {k: body[k] for k in ("kind", "rows", "created", "updated", "unchanged",
                                 "dry_run")} == {"kind": "products", "rows": 2, "created": 1,
                                                 "updated": 1, "unchanged": 0,
                                                 "dry_run": False}
    assert Product.objects.count() == 2


def test_a_dry_run_is_201_and_writes_nothing(api, db):
    before = db_state()
    response = post(api, "products", GOOD, dry_run="true")
    assert response.status_code == 201
    assert (response.json()["created"], response.json()["dry_run"]) == (2, True)
    assert db_state() == before


def test_bad_rows_are_422_with_every_error_and_nothing_written(api, db):
    before = db_state()
    response = post(api, "products", b"sku,name,list_price\nA,,1\nB,Bee,x\n")
    assert response.status_code == 422
    body = response.json()
    assert body["error"]["code"] == "imports.invalid_rows"
    assert body["errors"] == [
        {"row": 2, "column": "name", "message": "is required"},
        {"row": 3, "column": "list_price",
         "message": "'x' is not an amount (use digits and a point: 12.50)"}]
    assert body["error_count"] == 2
    assert db_state() == before


def test_an_unknown_kind_and_a_wrong_body_are_refused(api, db):
    assert post(api, "widgets", GOOD).status_code == 422
    response = post(api, "products", b'{"sku": 1}', content_type="application/json")
    assert (response.status_code, response.json()["error"]["code"]) == (
        400, "request.unsupported_media_type")
    response = post(api, "products", "sku,name,list_price\nA,Caf\xe9,1\n".encode("latin-1"))
    assert (response.status_code, response.json()["error"]["code"]) == (400, "request.malformed")
    assert not Product.objects.exists()


def test_only_administrators_and_supervisors_import(make_api, db):
    for role in (Role.WAREHOUSE, Role.SALES):
        response = post(make_api(role), "products", GOOD)
        assert response.status_code == 403
    assert post(make_api(Role.SUPERVISOR), "products", GOOD).status_code == 201


def test_the_openapi_document_describes_a_csv_body(api, db):
    doc = api.get("/api/v1/openapi.json").json()
    operation = doc["paths"]["/api/v1/imports/{kind}"]["post"]
    assert "text/csv" in operation["requestBody"]["content"]
    assert {"201", "422"} <= set(operation["responses"])

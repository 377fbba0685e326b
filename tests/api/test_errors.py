"""One error shape for every failure, and the list shape for every list."""

from __future__ import annotations

import pytest
from django.test import Client

from fillrate.api.errors import field_path
from fillrate.inventory.models import StockMovement
from tests.api_surface import OPERATIONS, build_world
from tests.factories import CustomerFactory, ProductFactory
from tests.helpers import assert_error, db_state

ADJUST = "/api/v1/stock/adjustments"
PRODUCTS = "/api/v1/products"


# -- field_path (pure) ---------------------------------------------------------

@pytest.mark.parametrize(
    ("loc", "expected"),
    [
        (["body", "payload", "lines", 0, "quantity"], "lines[0].quantity"),
        (("body", "payload", "quantity"), "quantity"),
        (["body", "payload", "lines", 2], "lines[2]"),
        (["body", "payload", "a", "b", 1, "c", 0], "a.b[1].c[0]"),
        (["query", "limit"], "limit"),
        (["query", "filters", "limit"], "filters.limit"),
        (["path", "sku"], "sku"),
        (["body", "payload"], None),
        (["body"], None),
        ([], None),
        (["payload", "sku"], "sku"),
        (["lines", 0], "lines[0]"),
    ],
)
def test_field_path(loc, expected):
    assert field_path(loc, param_names={"payload"}) == expected


def test_field_path_keeps_names_that_are_not_parameters():
    assert field_path(["body", "payload", "sku"], param_names=set()) == "payload.sku"


# -- 400: malformed ------------------------------------------------------------

@pytest.mark.parametrize("raw", ["{bad", "{\"sku\": ", "not json at all", "{'single': 1}"])
def test_malformed_json_is_400(api, stock, raw):
    stock(quantity=5)
    before = db_state()
    assert_error(api.post(ADJUST, raw=raw), 400, "request.malformed", field="body")
    assert db_state() == before


def test_a_missing_body_is_400(api, stock):
    stock(quantity=5)
    before = db_state()
    assert_error(api.post(ADJUST, raw=""), 400, "request.missing_body", field="body")
    assert_error(api.post(PRODUCTS, raw=""), 400, "request.missing_body", field="body")
    assert db_state() == before


# -- 422: well-formed but invalid ----------------------------------------------

@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"reason": "count"}, "quantity"),
        ({"quantity": "lots", "reason": "count"}, "quantity"),
        ({"quantity": 1.5, "reason": "count"}, "quantity"),
        ({"quantity": "3", "reason": "count"}, "quantity"),
        ({"quantity": True, "reason": "count"}, "quantity"),
        ({"quantity": None, "reason": "count"}, "quantity"),
        ({"quantity": [1], "reason": "count"}, "quantity"),
        ({"quantity": 1}, "reason"),
        ({"quantity": 1, "reason": 5}, "reason"),
        ({"quantity": 1, "reason": "count", "note": "x" * 501}, "note"),
        ({"quantity": 1, "reason": "count", "sku": ""}, "sku"),
    ],
)
def test_missing_or_wrong_typed_fields_are_422_naming_the_field(api, stock, body, field):
    product = stock(quantity=5)
    body = {"sku": product.sku, **body}
    before = db_state()
    error = assert_error(api.post(ADJUST, body), 422, "request.invalid", field=field)
    assert field in error["message"]
    assert db_state() == before


@pytest.mark.parametrize(("path", "body", "field"), [
    ("/api/v1/orders", {"customer": "C-X", "lines": [{"sku": "S", "quantity": True}]},
     "lines[0].quantity"),
    ("/api/v1/orders", {"customer": "C-X", "lines": [{"sku": "S", "quantity": 1}],
                        "hold": "yes"}, "hold"),
    ("/api/v1/purchase-orders/PO-000001/receipts",
     {"lines": [{"sku": "S", "quantity": 1}], "allow_over_receipt": "yes"},
     "allow_over_receipt"),
    ("/api/v1/purchase-orders", {"supplier": "S", "lines": [{"sku": "S", "quantity": "2"}]},
     "lines[0].quantity"),
    ("/api/v1/suppliers", {"code": "S", "name": "S", "lead_time_days": "7"}, "lead_time_days"),
    ("/api/v1/customers", {"code": "C-Y", "name": "Y", "vip": 1}, "vip"),
    ("/api/v1/backorders/BO-000001/fulfil", {"lines": [{"sku": "S", "quantity": 1.5}]},
     "lines[0].quantity"),
    ("/api/v1/backorders/BO-000001/cancel", {"reason": "other", "notify": "true"}, "notify"),
])
def test_body_numbers_and_flags_are_json_numbers_and_booleans(api, path, body, field):
    """No guessing what "yes", "2" or true meant: 422 naming the field."""
    before = db_state()
    assert_error(api.post(path, body), 422, "request.invalid", field=field)
    assert db_state() == before


def test_settings_flags_are_booleans(api):
    r = api.patch("/api/v1/settings", {"partial_shipments": "no"})
    assert_error(r, 422, "request.invalid", field="partial_shipments")
    assert api.get("/api/v1/settings").json()["partial_shipments"] is True


@pytest.mark.parametrize(
    ("body", "code", "field"),
    [
        ({"quantity": 0, "reason": "count"}, "inventory.invalid_quantity", "quantity"),
        ({"quantity": 1, "reason": "stolen"}, "inventory.unknown_reason", "reason"),
    ],
)
def test_domain_validation_is_422_with_its_own_code(api, stock, body, code, field):
    product = stock(quantity=5)
    before = db_state()
    assert_error(api.post(ADJUST, {"sku": product.sku, **body}), 422, code, field=field)
    assert db_state() == before


def test_product_field_errors(api):
    base = {"sku": "NEW-1", "name": "Thing", "list_price": "1.00"}
    assert_error(api.post(PRODUCTS, {**base, "list_price": "abc"}), 422, "request.invalid",
                 field="list_price")
    assert_error(api.post(PRODUCTS, {**base, "list_price": "-1.00"}), 422,
                 "catalog.invalid_price", field="list_price")
    assert_error(api.post(PRODUCTS, {**base, "sku": "HAS SPACE"}), 422, "catalog.invalid_sku",
                 field="sku")
    assert_error(api.post(PRODUCTS, {**base, "upc": "1" * 33}), 422, "request.invalid",
                 field="upc")
    assert_error(api.post(PRODUCTS, {k: v for k, v in base.items() if k != "name"}), 422,
                 "request.invalid", field="name")
    assert not api.get(PRODUCTS).json()["count"]


def test_customer_field_errors(api):
    base = {"code": "C-NEW", "name": "New"}
    assert_error(api.post("/api/v1/customers", {**base, "email": "not-an-email"}), 422,
                 "customers.invalid_email", field="email")
    assert_error(api.post("/api/v1/customers", {**base, "sales_rep": "REP-NOPE"}), 404,
                 "customers.unknown_sales_rep", field="sales_rep")
    assert_error(api.post("/api/v1/customers", {**base, "vip": "maybe"}), 422,
                 "request.invalid", field="vip")
    assert api.get("/api/v1/customers").json()["count"] == 0


# -- 404 -----------------------------------------------------------------------

def test_unknown_sku_is_404_naming_the_field(api, pick_location):
    before = db_state()
    assert_error(api.post(ADJUST, {"sku": "NOPE", "quantity": 1, "reason": "count"}), 404,
                 "catalog.unknown_sku", field="sku")
    assert_error(api.get(f"{PRODUCTS}/NOPE"), 404, "catalog.unknown_sku", field="sku")
    assert db_state() == before


def test_unknown_location_and_customer_are_404(api, stock):
    product = stock(quantity=5)
    before = db_state()
    assert_error(api.post(ADJUST, {"sku": product.sku, "quantity": 1, "reason": "count",
                                   "location": "Z-99"}),
                 404, "inventory.unknown_location", field="location")
    assert_error(api.get("/api/v1/customers/NOPE"), 404, "customers.unknown_customer")
    assert db_state() == before


@pytest.mark.parametrize("method", ["get", "post", "patch", "delete"])
@pytest.mark.parametrize("path", ["/api/v1/nope", "/api/v1/orders/X/nope", "/api/v2/products",
                                  "/api/", "/api/v1/stock"])
def test_unknown_paths_under_the_api_are_json_404(api, path, method):
    response = getattr(Client(), method)(path, headers={"Authorization": f"Bearer {api.token}"})
    error = assert_error(response, 404, "request.not_found")
    assert path in error["message"]


# -- 409 -----------------------------------------------------------------------

def test_duplicate_sku_is_409_and_changes_nothing(api):
    body = {"sku": "DUP-1", "name": "Thing", "list_price": "1.00"}
    assert api.post(PRODUCTS, body).status_code == 201
    before = db_state()
    assert_error(api.post(PRODUCTS, body), 409, "catalog.duplicate_sku", field="sku")
    assert_error(api.post(PRODUCTS, {**body, "sku": "dup-1"}), 409, "catalog.duplicate_sku")
    assert db_state() == before


def test_duplicate_customer_code_is_409(api):
    CustomerFactory(code="C-TAKEN")
    assert_error(api.post("/api/v1/customers", {"code": "c-taken", "name": "Again"}), 409,
                 "customers.duplicate_code", field="code")


def test_insufficient_stock_is_409_and_changes_nothing(api, stock):
    product = stock(quantity=3)
    before = db_state()
    assert_error(api.post(ADJUST, {"sku": product.sku, "quantity": -4, "reason": "lost"}), 409,
                 "inventory.insufficient_stock", field="quantity")
    assert db_state() == before


# -- pagination ----------------------------------------------------------------

LIST_OPERATIONS = [op for op in OPERATIONS if op.is_list]


def test_pagination_windows_and_counts(api):
    skus = sorted(ProductFactory(sku=f"PAGE-{i:02d}").sku for i in range(7))
    page = api.get(PRODUCTS, {"limit": 3, "offset": 2}).json()
    assert page == {"items": page["items"], "count": 7}
    assert [p["sku"] for p in page["items"]] == skus[2:5]
    assert [p["sku"] for p in api.get(PRODUCTS, {"offset": 6}).json()["items"]] == skus[6:]
    assert api.get(PRODUCTS, {"offset": 50}).json() == {"items": [], "count": 7}
    assert len(api.get(PRODUCTS).json()["items"]) == 7


def test_the_default_limit_is_50(api):
    ProductFactory.create_batch(51)
    page = api.get(PRODUCTS).json()
    assert (len(page["items"]), page["count"]) == (50, 51)


def test_the_lists_are_found():
    assert {"GET /products", "GET /customers", "GET /events"} <= {
        op.id for op in LIST_OPERATIONS}
    assert all(op.method == "GET" and "{" not in op.path for op in LIST_OPERATIONS)


@pytest.mark.parametrize("op", LIST_OPERATIONS, ids=lambda op: op.id)
def test_every_list_is_paginated(api, op, stock, bulk_location):
    build_world(stock)
    stock(quantity=4, location=bulk_location)
    CustomerFactory.create_batch(2)
    url = "/api/v1" + op.path
    page = api.get(url, {"limit": 1}).json()
    assert {"items", "count"} <= set(page)
    assert isinstance(page["count"], int) and page["count"] >= 1, (op.id, page)
    assert len(page["items"]) == 1
    if page["count"] > 1:
        second = api.get(url, {"limit": 1, "offset": 1}).json()
        assert second["count"] == page["count"] and second["items"] != page["items"]
    for params, field in (({"limit": 0}, "limit"), ({"limit": 501}, "limit"),
                          ({"limit": "x"}, "limit"), ({"offset": -1}, "offset")):
        assert_error(api.get(url, params), 422, "request.invalid", field=field)


def test_list_filters(api, stock):
    stock(quantity=2, sku="WINE-1", name="Red wine", category="Wine")
    stock(quantity=2, sku="TEA-1", name="Green tea", category="Tea", discontinued=True)

    def skus(**params):
        return [p["sku"] for p in api.get(PRODUCTS, params).json()["items"]]

    assert skus(search="wine") == ["WINE-1"]
    assert skus(category="Tea") == ["TEA-1"]
    assert skus(discontinued="true") == ["TEA-1"]
    assert skus(discontinued="false") == ["WINE-1"]
    movements = api.get("/api/v1/stock/movements", {"sku": "TEA-1"}).json()
    assert movements["count"] == 1 and movements["items"][0]["sku"] == "TEA-1"


def test_an_unknown_sku_in_the_path_is_a_json_404(api):
    response = api.get("/api/v1/products/" + "x" * 80)
    error = assert_error(response, 404, "catalog.unknown_sku", field="sku")
    assert "x" * 80 in error["message"]


def test_failed_adjustments_leave_no_movement(api, stock):
    product = stock(quantity=2)
    count = StockMovement.objects.count()
    api.post(ADJUST, raw="{")
    api.post(ADJUST, {"sku": product.sku, "quantity": "x", "reason": "count"})
    api.post(ADJUST, {"sku": product.sku, "quantity": -3, "reason": "count"})
    assert StockMovement.objects.count() == count


# -- numbers the database cannot hold are bad input, not a 500 ---------------

@pytest.mark.parametrize("op", LIST_OPERATIONS, ids=lambda op: op.id)
@pytest.mark.parametrize("offset", [10**20, 2**63 - 1, 2**31])
def test_a_huge_offset_is_422(api, op, offset):
    assert_error(api.get("/api/v1" + op.path, {"offset": offset}), 422, "request.invalid",
                 field="offset")


def test_a_large_but_holdable_offset_finds_nothing(api, stock):
    stock(quantity=1)
    assert api.get(PRODUCTS, {"offset": 2**31 - 1}).json()["items"] == []


@pytest.mark.parametrize("after", [10**20, 2**63])
def test_a_huge_event_cursor_is_422(api, after):
    assert_error(api.get("/api/v1/events", {"after": after}), 422, "request.invalid",
                 field="after")


@pytest.mark.parametrize("quantity", [10**30, 2**31, -(2**31), -(10**30)])
def test_a_quantity_the_ledger_cannot_hold_is_422(api, stock, quantity):
    product = stock(quantity=5)
    before = db_state()
    error = assert_error(api.post(ADJUST, {"sku": product.sku, "quantity": quantity,
                                           "reason": "count"}), 422,
                         "inventory.invalid_quantity", field="quantity")
    assert "quantity" in error["message"]
    assert db_state() == before


# -- NUL characters: PostgreSQL cannot store them; the API refuses them ------

@pytest.mark.parametrize(
    ("path", "body"),
    [
        (PRODUCTS, {"sku": "A\u0000B", "name": "Thing", "list_price": "1.00"}),
        (PRODUCTS, {"sku": "AB", "name": "Thing\u0000", "list_price": "1.00"}),
        ("/api/v1/customers", {"code": "C\u0000", "name": "Someone"}),
        (ADJUST, {"sku": "S\u0000", "quantity": 1, "reason": "count"}),
        ("/api/v1/orders", {"customer": "C-1", "lines": [{"sku": "S\u0000", "quantity": 1}]}),
    ],
)
def test_nul_characters_in_a_body_are_400(api, stock, path, body):
    stock(quantity=5)
    before = db_state()
    assert_error(api.post(path, body), 400, "request.malformed", field="body")
    assert db_state() == before


@pytest.mark.parametrize("url", [f"{PRODUCTS}/A%00B", f"{PRODUCTS}?search=A%00B",
                                 "/api/v1/customers/%00", "/api/v1/orders/SO-1%00"])
def test_nul_characters_in_a_path_or_query_are_400(api, url):
    assert_error(api.get(url), 400, "request.malformed")


def test_an_escaped_backslash_u0000_is_just_text(api):
    response = api.post(PRODUCTS, {"sku": "ESC-1", "name": "back\\u0000slash",
                                   "list_price": "1.00"})
    assert response.status_code == 201, response.content
    assert response.json()["name"] == "back\\u0000slash"

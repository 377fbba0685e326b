"""Every answer under /api/v1/ is JSON in the one error shape, including
those Django makes before a view runs; CSV answers name their charset."""

from __future__ import annotations

import re
from collections import defaultdict

import pytest
from django.test import Client

from fillrate.api.contract import max_body_bytes
from fillrate.catalog.models import Product
from tests.api_surface import OPERATIONS, build_world, url_for
from tests.helpers import assert_error, db_state

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


def _allowed_by_path() -> dict[str, set[str]]:
    allowed: dict[str, set[str]] = defaultdict(set)
    for op in OPERATIONS:
        allowed[op.path].add(op.method)
    return allowed


ALLOWED = _allowed_by_path()
NOT_ALLOWED = [(path, method) for path, methods in sorted(ALLOWED.items())
               for method in METHODS if method not in methods]


def _fill(path: str) -> str:
    return "/api/v1" + re.sub(r"\{(?:\w+:)?(\w+)\}", "X-1", path)


def test_every_path_is_walked():
    assert len(ALLOWED) > 40 and len(NOT_ALLOWED) > 100


@pytest.mark.django_db
def test_every_method_a_path_does_not_allow_is_a_json_405_with_allow(api):
    refused = []
    for path, method in NOT_ALLOWED:
        response = api.client.generic(method, _fill(path), b"{}",
                                      content_type="application/json",
                                      headers={"Authorization": f"Bearer {api.token}"})
        if response.status_code != 405:
            refused.append((method, path, response.status_code))
            continue
        assert_error(response, 405, "request.method_not_allowed", field=None)
        allow = {m.strip() for m in response["Allow"].split(",")}
        assert ALLOWED[path] <= allow, (method, path, response["Allow"])
    assert refused == []


def test_a_405_changes_nothing(api, stock):
    product = stock(quantity=3)
    before = db_state()
    response = api.client.delete(f"/api/v1/products/{product.sku}",
                                 headers={"Authorization": f"Bearer {api.token}"})
    error = assert_error(response, 405, "request.method_not_allowed", field=None)
    assert "DELETE" in error["message"]
    assert set(response["Allow"].replace(" ", "").split(",")) >= {"GET", "PATCH"}
    assert db_state() == before


@pytest.mark.parametrize("path", ["/api/v1/nope", "/api/v1/orders/X/nope", "/api/v2/x"])
def test_a_post_to_an_unknown_path_is_a_json_404_even_with_csrf_checks(api, path):
    client = Client(enforce_csrf_checks=True)
    response = client.post(path, "{}", content_type="application/json",
                           headers={"Authorization": f"Bearer {api.token}"})
    assert_error(response, 404, "request.not_found")


def test_a_body_over_the_limit_is_a_json_413_and_changes_nothing(api, stock):
    stock(quantity=3)
    before = db_state()
    too_big = '{"sku": "' + "x" * (max_body_bytes() + 1) + '"}'
    assert_error(api.post("/api/v1/products", raw=too_big), 413, "request.too_large",
                 field="body")
    csv = b"sku,name,list_price\r\n" + b"A,B,1.00\r\n" * (max_body_bytes() // 10 + 1)
    response = api.client.post("/api/v1/imports/products", csv, content_type="text/csv",
                               headers={"Authorization": f"Bearer {api.token}"})
    assert_error(response, 413, "request.too_large", field="body")
    assert db_state() == before


def test_a_body_just_under_the_limit_is_read(api):
    body = '{"sku": "BIG-1", "name": "Big", "list_price": "1.00", "description": "%s"}'
    raw = body % ("d" * (max_body_bytes() - len(body) - 10))
    assert len(raw.encode()) <= max_body_bytes()
    assert api.post("/api/v1/products", raw=raw).status_code == 201
    assert Product.objects.filter(sku="BIG-1").exists()


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_disallowed_host_is_a_json_400(api, method):
    response = getattr(api.client, method)(
        "/api/v1/products", headers={"Authorization": f"Bearer {api.token}",
                                     "Host": "evil.example.com"})
    assert_error(response, 400, "request.disallowed_host", field="Host")


def test_every_csv_answer_names_its_charset(api, stock):
    world = build_world(stock)
    headers = {"Authorization": f"Bearer {api.token}"}
    csv_answers = []
    for op in OPERATIONS:
        if op.method != "GET":
            continue
        response = api.client.get(url_for(op, world), {"format": "csv"}, headers=headers)
        if response["Content-Type"].startswith("text/csv"):
            assert response["Content-Type"] == "text/csv; charset=utf-8", op.id
            csv_answers.append(op.id)
    assert {"GET /invoices", "GET /invoices/{number}", "GET /reports/backorder-aging",
            "GET /reports/fill-rate"} <= set(csv_answers)

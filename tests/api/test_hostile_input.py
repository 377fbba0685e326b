"""Hostile input and the API contract (issue 14): a body that is not the
documented shape, fields and query parameters the endpoint does not know.
Each is refused in the one error shape and changes nothing, over every
operation the API offers (walked from the routers, tests/api_surface.py)."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from django.apps import apps
from django.utils import timezone
from ninja.params.models import BodyModel, QueryModel

from fillrate.api.schemas import RequestSchema
from fillrate.core.business import business_settings
from tests.api_surface import (
    BODIES,
    OPERATIONS,
    PREFIX,
    _mounted_routers,
    build_world,
    url_for,
)
from tests.helpers import assert_error


def _ninja_operations() -> dict[str, object]:
    found = {}
    for prefix, router in _mounted_routers():
        for path, view in router.path_operations.items():
            for operation in view.operations:
                for method in operation.methods:
                    full = "/" + "/".join(p for p in f"{prefix}/{path}".split("/") if p)
                    full = re.sub(r"\{\w+:(\w+)\}", r"{\1}", full)  # as OpenAPI names it
                    found[f"{method} {full}"] = operation
    return found


NINJA = _ninja_operations()


def _body_models(op) -> list:
    return [m for m in NINJA[op.id].models if issubclass(m, BodyModel)]


# Operations that read a JSON body (the CSV import reads text, not JSON).
BODY_OPERATIONS = [op for op in OPERATIONS if _body_models(op)]
LIST_OPERATIONS = [op for op in OPERATIONS if op.is_list]
GET_OPERATIONS = [op for op in OPERATIONS if op.method == "GET"]


def full_state() -> dict[str, list]:
    """Every row of every fillrate model: equal before and after means the
    request changed nothing at all (not only no row counts)."""
    return {m._meta.label: sorted(map(repr, m.objects.values_list()))
            for m in apps.get_models() if m.__module__.startswith("fillrate.")}


@pytest.fixture
def world(stock):
    return build_world(stock)


def _send(api, op, url, raw: str):
    return api.client.generic(op.method, url, raw, content_type="application/json",
                              headers=api._headers(None))


def test_the_walk_finds_the_body_operations():
    ids = {op.id for op in BODY_OPERATIONS}
    assert {"POST /orders/{number}/payments", "POST /orders/{number}/cancel",
            "PATCH /settings", "PATCH /backorders/{number}", "POST /orders"} <= ids
    assert "POST /imports/{kind}" not in ids


# -- 1. a JSON body that is not an object ------------------------------------

NOT_OBJECTS = ["5", "12345", "0", "-1.5", "true", "false", "null", '"text"', "[]",
               '[{"notes": "x"}]', "[5]"]


@pytest.mark.parametrize("op", BODY_OPERATIONS, ids=lambda op: op.id)
def test_a_body_that_is_not_a_json_object_is_400_and_changes_nothing(api, world, op):
    url = url_for(op, world)
    before = full_state()
    for raw in NOT_OBJECTS:
        error = assert_error(_send(api, op, url, raw), 400, "request.malformed", field="body")
        assert "JSON object" in error["message"], (raw, error)
    assert full_state() == before


def test_a_number_is_not_a_payment(api, world):
    before = full_state()
    response = api.post(f"{PREFIX}/orders/{world.order}/payments", raw="5")
    error = assert_error(response, 400, "request.malformed", field="body")
    assert error["message"] == "the request body must be a JSON object, not a number"
    assert full_state() == before


def test_a_number_does_not_cancel_an_order(api, world):
    response = api.post(f"{PREFIX}/orders/{world.order}/cancel", raw="12345")
    assert_error(response, 400, "request.malformed", field="body")
    assert api.get(f"{PREFIX}/orders/{world.order}").json()["status"] != "cancelled"


def test_a_number_does_not_patch_the_settings(api, world):
    before = business_settings()
    response = api.client.patch(f"{PREFIX}/settings", "42", content_type="application/json",
                                headers=api._headers(None))
    assert_error(response, 400, "request.malformed", field="body")
    assert business_settings() == before


def test_no_body_still_means_no_body_where_the_body_is_optional(api, world):
    response = api.client.post(f"{PREFIX}/orders/{world.held}/cancel", b"",
                               content_type="application/json", headers=api._headers(None))
    assert response.status_code == 200, response.content


@pytest.mark.parametrize(("path", "body", "field"), [
    ("/orders", lambda w: {"customer": w.customer, "lines": [5]}, "lines[0]"),
    ("/orders", lambda w: {"customer": w.customer, "lines": [[w.sku, 1]]}, "lines[0]"),
    ("/purchase-orders/{po}/receipts", lambda w: {"lines": ["x"]}, "lines[0]"),
    ("/backorders/{bo}/fulfil", lambda w: {"lines": [None]}, "lines[0]"),
])
def test_an_object_inside_a_body_must_be_an_object_too(api, world, path, body, field):
    url = PREFIX + path.format(po=world.purchase_order, bo=world.ready_backorder)
    before = full_state()
    assert_error(api.post(url, body(world)), 422, "request.invalid", field=field)
    assert full_state() == before


# -- 2. unknown fields and unknown query parameters ---------------------------

def test_every_request_schema_forbids_unknown_fields():
    """One base class for every body: a new schema that forgets it fails here."""
    for op in BODY_OPERATIONS:
        for model in _body_models(op):
            for info in model.model_fields.values():
                schema = info.annotation
                args = getattr(schema, "__args__", None)
                schemas = [a for a in args if isinstance(a, type)] if args else [schema]
                for cls in schemas:
                    if cls is not type(None):
                        assert issubclass(cls, RequestSchema), (op.id, cls)


def _valid_body(op, world) -> dict:
    body = BODIES[op.id](world) if op.id in BODIES else {}
    return body if isinstance(body, dict) else {}


@pytest.mark.parametrize("op", BODY_OPERATIONS, ids=lambda op: op.id)
def test_an_unknown_field_is_422_naming_it_and_changes_nothing(api, world, op):
    url = url_for(op, world)
    body = {**_valid_body(op, world), "hodl": True}
    before = full_state()
    error = assert_error(_send(api, op, url, json.dumps(body)), 422,
                         "request.unknown_field", field="hodl")
    assert "hodl" in error["message"]
    assert full_state() == before


def test_a_misspelt_hold_does_not_place_an_order(api, world):
    before = full_state()
    response = api.post(f"{PREFIX}/orders", {"customer": world.customer, "hodl": True,
                                             "lines": [{"sku": world.sku, "quantity": 1}]})
    assert_error(response, 422, "request.unknown_field", field="hodl")
    assert full_state() == before


def test_a_backorder_status_cannot_be_patched(api, world):
    before = full_state()
    response = api.patch(f"{PREFIX}/backorders/{world.backorder}", {"status": "complete"})
    assert_error(response, 422, "request.unknown_field", field="status")
    assert full_state() == before


def test_an_unknown_field_inside_a_line_is_named_with_its_path(api, world):
    before = full_state()
    response = api.post(f"{PREFIX}/orders", {
        "customer": world.customer, "lines": [{"sku": world.sku, "quantity": 1, "qty": 2}]})
    assert_error(response, 422, "request.unknown_field", field="lines[0].qty")
    assert full_state() == before


def test_the_walk_finds_the_lists():
    assert {"GET /backorders", "GET /orders", "GET /products"} <= {
        op.id for op in LIST_OPERATIONS}


@pytest.mark.parametrize("op", GET_OPERATIONS, ids=lambda op: op.id)
def test_an_unknown_query_parameter_is_422_naming_it(api, world, op):
    url = url_for(op, world)
    error = assert_error(api.get(url, {"stauts": "open"}), 422, "request.unknown_parameter",
                         field="stauts")
    assert "stauts" in error["message"]


@pytest.mark.parametrize("op", LIST_OPERATIONS, ids=lambda op: op.id)
def test_the_declared_query_parameters_still_work(api, world, op):
    declared = set()
    for model in NINJA[op.id].models:
        if issubclass(model, QueryModel):
            declared |= set(getattr(model, "__ninja_flatten_map__", {}) or model.model_fields)
    assert {"limit", "offset"} <= declared
    response = api.get(url_for(op, world), {"limit": 2, "offset": 0})
    assert response.status_code == 200, response.content


def test_backorders_name_the_misspelt_filter(api, world):
    error = assert_error(api.get(f"{PREFIX}/backorders", {"stauts": "open"}), 422,
                         "request.unknown_parameter", field="stauts")
    assert "status" in error["message"]  # the parameters it does take are listed


def test_an_unauthenticated_caller_hears_401_before_the_unknown_parameter(world):
    from django.test import Client

    response = Client().get(f"{PREFIX}/backorders", {"stauts": "open"})
    assert_error(response, 401, "auth.unauthenticated")


# -- 3. messages count lines from 1, as clients do ----------------------------

@pytest.mark.parametrize(("path", "code"), [
    ("/orders", "orders.duplicate_sku"),
    ("/purchase-orders", "purchasing.duplicate_sku"),
])
def test_a_message_names_the_first_line_as_line_1(api, world, path, code):
    first = {"customer": world.customer} if path == "/orders" else {"supplier": world.supplier}
    before = full_state()
    response = api.post(PREFIX + path, {**first, "lines": [
        {"sku": world.sku, "quantity": 1}, {"sku": world.sku.lower(), "quantity": 2}]})
    error = assert_error(response, 422, code, field="lines[1].sku")  # the field stays 0-based
    assert "on line 1 already" in error["message"] and "line 0" not in error["message"]
    assert full_state() == before


# -- 4. dates ------------------------------------------------------------------

def test_a_follow_up_in_the_past_is_422_and_logs_nothing(api, world):
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    url = f"{PREFIX}/backorders/{world.backorder}/communications"
    before = full_state()
    error = assert_error(api.post(url, {"method": "phone", "summary": "called",
                                        "next_follow_up": yesterday.isoformat()}),
                         422, "backorders.follow_up_in_past", field="next_follow_up")
    assert str(yesterday) in error["message"]
    assert full_state() == before
    today = api.post(url, {"method": "phone", "summary": "called",
                           "next_follow_up": timezone.localdate().isoformat()})
    assert today.status_code == 201, today.content


def _date_bodies(world) -> list[tuple[str, str, dict, str]]:
    line = {"sku": world.sku, "quantity": 1}
    return [
        ("PATCH", f"/backorders/{world.backorder}", {}, "expected_date"),
        ("POST", f"/backorders/{world.backorder}/communications",
         {"method": "phone", "summary": "called"}, "next_follow_up"),
        ("POST", "/purchase-orders", {"supplier": world.supplier, "lines": [line]},
         "expected_date"),
        ("PATCH", f"/purchase-orders/{world.purchase_order}", {}, "expected_date"),
        ("POST", f"/orders/{world.order}/backorder",
         {"lines": [{"line": world.order_line, "quantity": 1}]}, "expected_date"),
    ]


@pytest.mark.parametrize("day", ["1999-12-31", "0001-01-01", "2101-01-01", "9999-12-31"])
def test_a_date_before_2000_or_after_2100_is_422_naming_the_field(api, world, day):
    for method, path, body, field in _date_bodies(world):
        before = full_state()
        response = api.client.generic(method, PREFIX + path, json.dumps({**body, field: day}),
                                      content_type="application/json",
                                      headers=api._headers(None))
        error = assert_error(response, 422, "request.invalid", field=field)
        assert "2000-01-01" in error["message"] and "2100-12-31" in error["message"]
        assert full_state() == before, (method, path)


def test_the_edges_of_the_date_range_are_accepted(api, world):
    url = f"{PREFIX}/backorders/{world.backorder}"
    for day in ("2100-12-31", "2000-01-01"):
        response = api.patch(url, {"expected_date": day})
        assert response.status_code == 200, response.content
        assert response.json()["expected_date"] == day


def test_a_past_expected_date_on_a_backorder_is_accepted_with_a_warning(api, world):
    last_week = timezone.localdate() - dt.timedelta(days=7)
    url = f"{PREFIX}/backorders/{world.backorder}"
    response = api.patch(url, {"expected_date": last_week.isoformat()})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["expected_date"] == last_week.isoformat()
    (warning,) = body["warnings"]
    assert "expected_date" in warning and "past" in warning
    later = api.patch(url, {"expected_date": (last_week + dt.timedelta(days=30)).isoformat()})
    assert later.json()["warnings"] == []
    assert api.patch(url, {"priority": "high"}).json()["warnings"] == []


def test_a_past_expected_date_on_a_purchase_order_is_accepted_with_a_warning(api, world):
    last_week = (timezone.localdate() - dt.timedelta(days=7)).isoformat()
    created = api.post(f"{PREFIX}/purchase-orders", {
        "supplier": world.supplier, "expected_date": last_week,
        "lines": [{"sku": world.sku, "quantity": 3}]})
    assert created.status_code == 201, created.content
    assert created.json()["expected_date"] == last_week
    assert len(created.json()["warnings"]) == 1
    patched = api.patch(f"{PREFIX}/purchase-orders/{world.purchase_order}",
                        {"expected_date": last_week})
    assert patched.status_code == 200, patched.content
    assert patched.json()["expected_date"] == last_week
    assert "expected_date" in patched.json()["warnings"][0]
    fresh = api.post(f"{PREFIX}/purchase-orders", {
        "supplier": world.supplier, "lines": [{"sku": world.sku, "quantity": 3}]})
    assert fresh.json()["warnings"] == []


@pytest.mark.parametrize(("param", "day"), [("from", "1999-12-31"), ("to", "2101-01-01"),
                                            ("from", "0001-01-01")])
def test_a_query_date_out_of_range_is_422_naming_it(api, param, day):
    error = assert_error(api.get(f"{PREFIX}/reports/fill-rate", {param: day}), 422,
                         "request.invalid", field=param)
    assert "2000-01-01" in error["message"]
    ok = api.get(f"{PREFIX}/reports/fill-rate", {"from": "2000-01-01", "to": "2000-01-31"})
    assert ok.status_code == 200, ok.content

"""The OpenAPI document tells the whole truth, for every operation alike
(api/contract.py `truthful_openapi`): each error status an operation can
answer, with the error schema and an example; choices and bounds as the
server enforces them; money as decimal strings. schemathesis checks the
document against the server (.ci/schemathesis); these check the document."""

from __future__ import annotations

import re
import typing

import pytest
from pydantic import BaseModel

from fillrate.api.contract import ContractAPI, truthful_openapi
from fillrate.api.main import api
from fillrate.api.schemas import OneOf, RequestSchema
from fillrate.backorders.models import CancelReason, CommunicationMethod
from fillrate.core.business import ALLOCATION_POLICIES, OVERSELL_POLICIES
from fillrate.inventory.models import PLACE_KINDS, AdjustmentReason
from fillrate.workflows.oversold import ACTIONS
from tests.api_surface import OPERATIONS

DOC = api.get_openapi_schema()
SCHEMAS = DOC["components"]["schemas"]
OPS = [(method, path, op) for path, item in DOC["paths"].items() for method, op in item.items()]


def _resolve(schema: dict) -> dict:
    while "$ref" in schema:
        schema = SCHEMAS[schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def test_the_document_has_every_operation():
    assert len(OPS) == len(OPERATIONS)


@pytest.mark.parametrize(("method", "path", "op"), OPS, ids=[f"{m} {p}" for m, p, _ in OPS])
def test_every_operation_documents_its_errors(method, path, op):
    statuses = set(op["responses"])
    assert {"400", "414", "422", "431"} <= statuses
    if op.get("security"):
        assert {"401", "403"} <= statuses
    if "requestBody" in op:
        assert {"404", "413"} <= statuses
    if "{" in path:
        assert "404" in statuses
    if method in {"post", "patch", "put", "delete"}:
        assert {"409", "503"} <= statuses
    for status, response in op["responses"].items():
        if status[0] in "45" and status not in {"414", "431"}:
            media = response["content"]["application/json"]
            refs = [media["schema"]] + media["schema"].get("anyOf", [])
            assert {"$ref": "#/components/schemas/Error"} in refs, (status, media)
            if "example" in media:
                assert set(media["example"]["error"]) == {"code", "message", "field"}
        assert response.get("description")
    assert any(s.startswith("2") for s in statuses)


def _request_schemas() -> list[tuple[str, dict]]:
    out = []
    for method, path, op in OPS:
        for media in op.get("requestBody", {}).get("content", {}).values():
            out.append((f"{method.upper()} {path}", _resolve(media["schema"])))
    return out


def _body(method: str, path: str) -> dict:
    op = DOC["paths"]["/api/v1" + path][method]
    return _resolve(op["requestBody"]["content"]["application/json"]["schema"])


@pytest.mark.parametrize(("method", "path", "field", "choices"), [
    ("post", "/backorders/{number}/cancel", "reason", CancelReason.values),
    ("post", "/backorders/{number}/communications", "method", CommunicationMethod.values),
    ("post", "/stock/adjustments", "reason", AdjustmentReason.values),
    ("post", "/locations", "kind", PLACE_KINDS),
    ("post", "/orders/{number}/resolve-oversold", "action", list(ACTIONS)),
    ("patch", "/settings", "oversell_policy", list(OVERSELL_POLICIES)),
    ("patch", "/settings", "allocation_policy", list(ALLOCATION_POLICIES)),
])
def test_choices_are_enums_as_the_server_checks_them(method, path, field, choices):
    prop = _body(method, path)["properties"][field]
    options = prop.get("anyOf", [prop])
    assert [o["enum"] for o in options if "enum" in o] == [list(choices)]


@pytest.mark.parametrize("param", ["status", "format", "kind", "ordering", "by", "expected"])
def test_query_choices_are_enums(param):
    seen = 0
    for _, _, op in OPS:
        for p in op.get("parameters", []):
            if p["name"] == param:
                assert p["schema"].get("enum"), (op["operationId"], p)
                seen += 1
    assert seen


def test_quantities_in_a_body_are_bounded():
    quantities = []

    def walk(schema, where):
        schema = _resolve(schema)
        for name, prop in schema.get("properties", {}).items():
            prop = _resolve(prop)
            if name == "quantity":
                quantities.append((where, prop))
            for sub in [prop.get("items", {}), *prop.get("anyOf", [])]:
                if sub.get("$ref") or sub.get("items"):
                    walk(sub.get("items", sub), f"{where}.{name}")
            if prop.get("items"):
                walk(prop["items"], f"{where}.{name}[]")

    for where, schema in _request_schemas():
        walk(schema, where)
    assert len(quantities) >= 6
    for where, prop in quantities:
        branch = next((o for o in prop.get("anyOf", [prop]) if o.get("type") == "integer"), {})
        prop = {**branch, **{k: v for k, v in prop.items() if k != "anyOf"}}
        assert prop["type"] == "integer" and prop["maximum"] == 2**31 - 1, where
        assert prop.get("minimum", 0) >= 1 or prop.get("not") == {"const": 0}, where


def test_money_is_a_decimal_string_with_a_pattern():
    product_in = SCHEMAS["ProductIn"]["properties"]["list_price"]
    assert product_in["type"] == "string" and re.fullmatch(product_in["pattern"], "12.50")
    assert not re.fullmatch(product_in["pattern"], "1e3")
    product_out = SCHEMAS["ProductOut"]["properties"]["list_price"]
    assert product_out["type"] == "string"
    assert re.fullmatch(product_out["pattern"], "1000.00")
    assert not re.fullmatch(product_out["pattern"], "1E+3")
    assert not re.fullmatch(product_out["pattern"], "1000")


class ThingIn(RequestSchema):
    kind: OneOf(["a", "b"])
    note: str = ""


def test_a_new_operation_gets_the_whole_truth_too():
    """The helper works on any operation: one added later needs nothing."""
    from ninja import Router

    from fillrate.api.auth import needs

    router = Router()

    @router.post("/things/{code}", auth=needs("catalog.manage"))
    def post_thing(request, code: str, payload: ThingIn):
        return {}

    other = ContractAPI(title="t", version="x", urls_namespace="t-api")
    other.add_router("", router)
    doc = other.get_openapi_schema(path_prefix="/api/")
    op = doc["paths"]["/api/things/{code}"]["post"]
    assert {"400", "401", "403", "404", "409", "413", "414", "422", "431"} <= set(
        op["responses"])
    thing = doc["components"]["schemas"]["ThingIn"]["properties"]
    assert thing["kind"]["enum"] == ["a", "b"]
    assert thing["note"]["pattern"] == "^[^\\x00]*$"  # no NUL characters


def test_truthful_openapi_drops_null_bodies_and_query_values():
    doc = {"paths": {"/x": {"post": {
        "parameters": [{"in": "query", "name": "status", "schema": {
            "anyOf": [{"type": "string"}, {"type": "null"}]}}],
        "requestBody": {"content": {"application/json": {"schema": {
            "anyOf": [{"$ref": "#/components/schemas/In"}, {"type": "null"}]}}}},
        "responses": {201: {"description": "Created"}}}}},
        "components": {"schemas": {"In": {"type": "object", "properties": {}}}}}
    out = truthful_openapi(doc)["paths"]["/x"]["post"]
    assert out["parameters"][0]["schema"]["type"] == "string"
    assert out["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/In"}


def _models(annotation, found: dict[str, set]) -> None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        if annotation in found.setdefault(annotation.__name__, set()):
            return
        found[annotation.__name__].add(annotation)
        for field in annotation.model_fields.values():
            _models(field.annotation, found)
        return
    for arg in typing.get_args(annotation):
        _models(arg, found)


def test_no_two_schemas_share_a_name():
    """django-ninja names a component by its class: two classes of one name
    (two `CancelIn`s) would document one operation with the other's schema."""
    found: dict[str, set] = {}
    from tests.api_surface import _mounted_routers

    for _, router in _mounted_routers():
        for view in router.path_operations.values():
            for operation in view.operations:
                for model in operation.models:
                    for field in model.model_fields.values():
                        _models(field.annotation, found)
                for model in operation.response_models.values():
                    if hasattr(model, "model_fields"):
                        _models(model.model_fields["response"].annotation, found)
    assert {"ProductIn", "OrderIn", "BackorderCancelIn", "PurchaseOrderCancelIn"} <= set(found)
    shared = {name: classes for name, classes in found.items() if len(classes) > 1}
    assert shared == {}


def test_every_json_body_has_an_example_the_schema_takes():
    import jsonschema_rs

    bodies = 0
    for method, path, op in OPS:
        for content_type, media in op.get("requestBody", {}).get("content", {}).items():
            if content_type != "application/json":
                continue
            bodies += 1
            assert "example" in media, (method, path)
            root = {**media["schema"], "components": DOC["components"]}
            errors = [e.message for e in
                      jsonschema_rs.validator_for(root).iter_errors(media["example"])]
            assert errors == [], (method, path, media["example"])
    assert bodies >= 25


def test_no_decimal_is_typed_number_or_string():
    """Decimals (money, rates) are decimal strings with a pattern, never
    pydantic's default "a number, or a string that looks like one"."""
    loose = []

    def walk(schema, where):
        if isinstance(schema, dict):
            types = {o.get("type") for o in schema.get("anyOf", [])}
            if {"number", "string"} <= types:
                loose.append(where)
            for key, value in schema.items():
                walk(value, f"{where}.{key}")
        elif isinstance(schema, list):
            for i, value in enumerate(schema):
                walk(value, f"{where}[{i}]")

    walk(DOC, "")
    assert loose == []

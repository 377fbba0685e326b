"""Every answer under /api/ keeps the API's error shape, including the ones
Django makes before (or instead of) a view: a disallowed Host, a body over
the size limit, a method the path does not allow, a CSRF refusal.

The middleware sits first, so it sees the request before anything asks for
the host or reads the body, and every response last.

`ContractAPI` makes the OpenAPI document tell the whole truth, for every
operation alike (those added later too): each status an operation can
answer with the error schema and an example, and request schemas no looser
than the server (see `truthful_openapi`).
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI

from fillrate.api.errors import error_response

log = logging.getLogger(__name__)

API_PREFIX = "/api/"

_GENERIC = {
    400: ("request.malformed", "the request is malformed"),
    401: ("auth.unauthenticated", "authentication is required"),
    403: ("auth.forbidden", "this request is refused"),
    404: ("request.not_found", "not found"),
    413: ("request.too_large", "the request body is too large"),
}


def max_body_bytes() -> int:
    return settings.DATA_UPLOAD_MAX_MEMORY_SIZE


def _content_length(request: HttpRequest) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


def _as_json_error(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    status = response.status_code
    if status == 405:
        allowed = response.get("Allow", "")
        out = error_response(405, "request.method_not_allowed",
                             f"{request.method} is not allowed on {request.path} "
                             f"(allowed: {allowed or 'none'})")
        if allowed:
            out["Allow"] = allowed
        return out
    code, message = _GENERIC.get(status, ("request.error", f"the request failed ({status})"))
    return error_response(status, code, message)


class ApiContractMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith(API_PREFIX):
            return self.get_response(request)
        try:
            request.get_host()
        except DisallowedHost as exc:
            log.warning("refused API request: %s", exc)
            return error_response(400, "request.disallowed_host",
                                  "this server does not answer for that Host header", "Host")
        limit = max_body_bytes()
        if limit is not None and _content_length(request) > limit:
            return error_response(413, "request.too_large",
                                  f"the request body is over the limit of {limit} bytes",
                                  "body")
        response = self.get_response(request)
        content_type = response.get("Content-Type", "")
        if response.status_code >= 400 and not content_type.startswith("application/json"):
            return _as_json_error(request, response)
        return response


# --- The OpenAPI document -------------------------------------------------

# Strings the server takes hold no NUL character (PostgreSQL cannot store
# one: 400 request.malformed), so every request string says so.
NO_NUL = "^[^\\x00]*$"

# Dates in a request run from 2000-01-01 to 2100-12-31 (api.schemas.EARLIEST,
# LATEST).
DATE_PATTERN = "^(20[0-9]{2}|2100)-[0-9]{2}-[0-9]{2}$"

_ERROR_REF = {"$ref": "#/components/schemas/Error"}

# status -> (when, example code, example message, example field)
_ERRORS: dict[int, tuple[str, str, str, str | None]] = {
    400: ("Malformed: the body is not JSON or not a JSON object, a NUL character in the "
          "URL or body, a Host this server does not answer for, a bad Idempotency-Key",
          "request.malformed", "the request body must be a JSON object, not a number",
          "body"),
    401: ("No API token, or not a live one (`Authorization: Bearer <token>`)",
          "auth.unauthenticated", "send a valid API token as 'Authorization: Bearer <token>'",
          None),
    403: ("The token's role may not do this", "auth.forbidden",
          "the sales role may not do this (needs stock.adjust)", None),
    404: ("Not found: the object in the path, or one a body names (with `field`)",
          "request.not_found", "not found", None),
    409: ("Conflicts with the current state (nothing changed)", "orders.insufficient_stock",
          "only 3 of SL-1 available", "lines[0].quantity"),
    413: ("The body is over the limit (DATA_UPLOAD_MAX_MEMORY_SIZE, {limit:,} bytes)",
          "request.too_large", "the request body is over the limit of {limit} bytes", "body"),
    414: ("Refused by gunicorn before fillrate sees the request: a request line over "
          "4,094 bytes (an HTML page, not JSON)", "", "", None),
    431: ("Refused by gunicorn before fillrate sees the request: over 100 header fields or "
          "one over 8,190 bytes (an HTML page, not JSON)", "", "", None),
    503: ("Busy: the stock or backorders involved kept changing (a lock wait ran out); "
          "nothing changed, try again", "request.busy",
          "the stock involved is busy: try again in a moment", None),
    422: ("Invalid: a value out of bounds or not one of the choices, an unknown field or "
          "query parameter (named in `field`)", "request.unknown_parameter",
          "stauts: no such query parameter here", "stauts"),
}

WRITE_METHODS = {"post", "put", "patch", "delete"}
# query parameters that name no object
_NOT_NAMES = {"limit", "offset", "format", "search", "ordering", "dry_run", "after", "weeks",
              "status", "kind", "active", "vip", "discontinued", "fulfillable", "priority",
              "expected", "age", "by", "from", "to"}


def _error_response(status: int) -> dict[str, Any]:
    when, code, message, field = _ERRORS[status]
    if status == 413:
        when, message = (text.format(limit=max_body_bytes()) for text in (when, message))
    if status in (414, 431):
        return {"description": when, "content": {"text/html": {"schema": {"type": "string"}}}}
    return {"description": when, "content": {"application/json": {
        "schema": _ERROR_REF,
        "example": {"error": {"code": code, "message": message, "field": field}}}}}


def _statuses(method: str, operation: dict[str, Any]) -> list[int]:
    params = operation.get("parameters", [])
    has_body = "requestBody" in operation
    # NUL characters, the Host; unknown query parameters; gunicorn's refusals
    statuses = [400, 414, 422, 431]
    if operation.get("security"):
        statuses += [401, 403]
    # an object named in the path, a body or a query filter may not exist
    if has_body or any(p["in"] == "path" or p["name"] not in _NOT_NAMES for p in params):
        statuses.append(404)
    if method in WRITE_METHODS:
        statuses += [409, 503]
    if has_body:
        statuses.append(413)
    return sorted(statuses)


def _without_null(schema: dict[str, Any]) -> dict[str, Any]:
    """`anyOf: [X, {type: null}]` -> X: a query parameter cannot be null, and a
    body that is null is refused (400) even where the body is optional."""
    options = schema.get("anyOf")
    if options and any(o.get("type") == "null" for o in options):
        rest = [o for o in options if o.get("type") != "null"]
        if len(rest) == 1:
            merged = {k: v for k, v in schema.items() if k != "anyOf"}
            return {**merged, **rest[0]}
        return {**schema, "anyOf": rest}
    return schema


def _no_nul(schema: Any, components: dict[str, Any], seen: set[str]) -> None:
    """Every request string (bodies and parameters, followed through $refs)
    says it holds no NUL character, unless it is a choice or has a format."""
    if isinstance(schema, list):
        for item in schema:
            _no_nul(item, components, seen)
        return
    if not isinstance(schema, dict):
        return
    ref = schema.get("$ref")
    if ref:
        name = ref.rsplit("/", 1)[-1]
        if name not in seen:
            seen.add(name)
            _no_nul(components.get(name), components, seen)
        return
    if schema.get("type") == "string" and schema.get("format") == "date":
        schema.setdefault("pattern", DATE_PATTERN)
    if (schema.get("type") == "string" and "enum" not in schema and "format" not in schema
            and "pattern" not in schema and "const" not in schema):
        schema["pattern"] = NO_NUL
    for key, value in schema.items():
        if key in {"properties", "$defs"}:
            for sub in value.values():
                _no_nul(sub, components, seen)
        elif key in {"items", "anyOf", "allOf", "oneOf", "additionalProperties", "not"}:
            _no_nul(value, components, seen)


# Values for an operation's example body, by field name (the demo data's
# objects where a field names one); other fields take their first choice,
# their lower bound, false, or a short text.
EXAMPLE_VALUES: dict[str, Any] = {
    "sku": "WIN-SHZ-750", "customer": "C-BRIGHTON", "supplier": "SUP-BEAN",
    "warehouse": "MAIN", "location": "A-01", "sales_rep": "REP-ANNA", "code": "NEW-1",
    "name": "Shiraz 2021", "quantity": 6, "line": 1, "list_price": "18.50",
    "unit_price": "18.50", "unit_cost": "9.20", "amount": "50.00",
    "email": "orders@example.com", "summary": "Called: they will wait for the next delivery",
    "expected_date": "2031-03-01", "next_follow_up": "2031-03-01", "lead_time_days": 14,
    "pick_sequence": 10, "carrier": "DHL", "tracking_number": "JD014600003",
    "max_backorder_age_days": 30, "currency": "EUR", "notes": "the customer asked",
    "reason": "the supplier is out of stock",
    "fulfillment": "FF-000001", "tote": "T-01", "substitute_sku": "WIN-MER-750",
    "url": "https://example.com/hooks/fillrate", "secret": "a-secret-of-32-characters-length",
    "shop_name": "Brighton Wines", "contact_email": "orders@example.com",
    "contact_phone": "+1 555 0100",
}
# `name` by the resource a path starts with
EXAMPLE_NAMES = {"customers": "Brighton Wine Bar", "sales-reps": "Anna Lee",
                 "warehouses": "Overflow store", "locations": "Aisle 7",
                 "suppliers": "Bean Importers"}


def _example(schema: dict[str, Any], components: dict[str, Any], name: str = "",
             depth: int = 0, tag: str = "") -> Any:
    while "$ref" in schema:
        schema = components[schema["$ref"].rsplit("/", 1)[-1]]
    options = [o for o in schema.get("anyOf", []) if o.get("type") != "null"]
    if options:
        schema = {**options[0], **{k: v for k, v in schema.items() if k != "anyOf"}}
        return _example(schema, components, name, depth, tag)
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "object" and depth < 4:
        props = schema.get("properties", {})
        names = list(schema.get("required", [])) or [
            next((n for n in props if n in EXAMPLE_VALUES), next(iter(props), None))]
        return {n: _example(props[n], components, n, depth + 1, tag) for n in names if n}
    if kind == "array":
        return [_example(schema.get("items", {}), components, name, depth + 1, tag)]
    if name == "name" and tag in EXAMPLE_NAMES:
        return EXAMPLE_NAMES[tag]
    if name in EXAMPLE_VALUES:
        return EXAMPLE_VALUES[name]
    if kind == "boolean":
        return False
    if kind == "integer":
        return max(schema.get("minimum", 1), 1)
    if schema.get("format") == "date":
        return "2031-03-01"
    return "example text"


def truthful_openapi(document: dict[str, Any]) -> dict[str, Any]:
    document = copy.deepcopy(document)
    components = document.setdefault("components", {}).setdefault("schemas", {})
    components.setdefault("Error", {
        "title": "Error", "type": "object", "required": ["error"],
        "properties": {"error": {
            "type": "object", "required": ["code", "message", "field"],
            "properties": {"code": {"type": "string"}, "message": {"type": "string"},
                           "field": {"anyOf": [{"type": "string"}, {"type": "null"}]}}}}})
    request_components: set[str] = set()
    for url, path in document.get("paths", {}).items():
        resource = next((s for s in url.split("/") if s and s != "api"
                         and not (s[0] == "v" and s[1:].isdigit())), "")
        for method, operation in path.items():
            responses = {str(k): v for k, v in operation.get("responses", {}).items()}
            operation["responses"] = responses
            for status in _statuses(method, operation):
                if str(status) in responses:
                    _or_error(responses[str(status)])
                else:
                    responses[str(status)] = _error_response(status)
            for param in operation.get("parameters", []):
                param["schema"] = _without_null(param.get("schema", {}))
                _no_nul(param["schema"], components, request_components)
                if param["in"] == "query" and param["name"] == "format":
                    _add_csv(responses)
            body = operation.get("requestBody", {}).get("content", {})
            for content_type, media in body.items():
                media["schema"] = _without_null(media.get("schema", {}))
                _no_nul(media["schema"], components, request_components)
                if content_type == "application/json" and "example" not in media:
                    media["example"] = _example(media["schema"], components,
                                                tag=resource)
    return document


def _or_error(response: dict[str, Any]) -> None:
    """An operation's own schema for an error status (an import's row errors)
    also admits the one error shape, which the checks before it answer in."""
    media = response.get("content", {}).get("application/json")
    if media and media.get("schema") != _ERROR_REF:
        media["schema"] = {"anyOf": [media["schema"], _ERROR_REF]}


def _add_csv(responses: dict[str, Any]) -> None:
    for status, response in responses.items():
        if status.startswith("2"):
            response.setdefault("content", {}).setdefault(
                "text/csv", {"schema": {"type": "string"}})


class ContractAPI(NinjaAPI):
    """The API whose OpenAPI document passes through `truthful_openapi`."""

    def get_openapi_schema(self, *args: Any, **kwargs: Any) -> Any:
        schema = super().get_openapi_schema(*args, **kwargs)
        truthful = truthful_openapi(dict(schema))
        schema.clear()
        schema.update(truthful)
        return schema

"""Every error the API returns has one shape, made here:
`{"error": {"code": ..., "message": ..., "field": ...}}`."""

from __future__ import annotations

import functools
import inspect
import json
import logging
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.params.models import QueryModel
from ninja.parser import Parser

from fillrate.core.errors import DomainError

log = logging.getLogger(__name__)

_LOCATION_ROOTS = {"body", "query", "path", "header", "cookie", "form", "file"}


def error_body(code: str, message: str, field: str | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "field": field}}


def error_response(status: int, code: str, message: str, field: str | None = None) -> JsonResponse:
    return JsonResponse(error_body(code, message, field), status=status)


def field_path(loc: list[Any] | tuple[Any, ...], *, param_names: set[str]) -> str | None:
    """`["body", "payload", "lines", 0, "quantity"]` -> `lines[0].quantity`."""
    parts = list(loc)
    if parts and parts[0] in _LOCATION_ROOTS:
        parts = parts[1:]
    if parts and parts[0] in param_names:
        parts = parts[1:]
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out or None


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


def refuse_nul_characters(run):
    """PostgreSQL cannot store NUL (a server error); refuse it in the path,
    the query and the JSON body as malformed, on every database alike."""

    @functools.wraps(run)
    def checked(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        where = None
        if "\x00" in request.path or "%00" in request.META.get("QUERY_STRING", ""):
            where = "url"
        elif b"\\u0000" in request.body:
            try:
                if _has_nul(json.loads(request.body)):
                    where = "body"
            except ValueError:
                pass  # not JSON: the parser says so
        if where:
            return error_response(400, "request.malformed",
                                  f"the {where} contains a NUL (0x00) character",
                                  "body" if where == "body" else None)
        return run(request, *args, **kwargs)

    return checked


class BodyNotAnObject(ValueError):
    """A JSON body that parses but is not an object (`5`, `[]`, `"x"`, `null`)."""


_JSON_TYPES = {list: "an array", str: "a string", bool: "a boolean", int: "a number",
               float: "a number", type(None): "null"}


class ObjectBodyParser(Parser):
    """Every JSON body the API takes is an object: anything else is refused
    here, once, rather than read as "no body" by an endpoint whose body is
    optional."""

    def parse_body(self, request: HttpRequest) -> dict[str, Any]:
        data = super().parse_body(request)
        if not isinstance(data, dict):
            raise BodyNotAnObject(
                f"the request body must be a JSON object, not {_JSON_TYPES[type(data)]}")
        return data


def _declared_query_names(operation: Any) -> set[str]:
    names: set[str] = set()
    for model in getattr(operation, "models", ()):
        if issubclass(model, QueryModel):
            flat = getattr(model, "__ninja_flatten_map__", None)
            names |= set(flat) if flat else {
                info.alias or name for name, info in model.model_fields.items()}
    return names


def find_unknown_query_parameters(run):
    """Notes on the request a query parameter the operation does not declare
    (`?stauts=open`); `refuse_unknown_query_parameters` answers it once the
    caller is authenticated and allowed."""
    declared = _declared_query_names(getattr(inspect.unwrap(run), "__self__", None))

    @functools.wraps(run)
    def noted(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        unknown = sorted(set(request.GET) - declared)
        request.fillrate_unknown_query = (unknown[0], sorted(declared)) if unknown else None
        return run(request, *args, **kwargs)

    return noted


def refuse_unknown_query_parameters(view):
    """An unknown query parameter is 422 naming it, never ignored."""

    @functools.wraps(view)
    def checked(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        unknown = getattr(request, "fillrate_unknown_query", None)
        if unknown:
            name, declared = unknown
            return error_response(422, "request.unknown_parameter",
                                  f"{name}: no such query parameter here (this endpoint "
                                  f"takes: {', '.join(declared) or 'none'})", name)
        return view(request, *args, **kwargs)

    return checked


def install(api: NinjaAPI, *, body_param_names: set[str]) -> None:
    def on_domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
        return api.create_response(request, error_body(exc.code, exc.message, exc.field),
                                   status=exc.status)

    def on_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        first = exc.errors[0] if exc.errors else {}
        field = field_path(first.get("loc", ()), param_names=body_param_names)
        loc_root = (first.get("loc") or ["body"])[0]
        if first.get("type") == "missing" and field is None and loc_root == "body":
            return api.create_response(
                request, error_body("request.missing_body", "a JSON body is required", "body"),
                status=400)
        if first.get("type") == "extra_forbidden":
            # A body that names a field the endpoint does not take (a typo,
            # or a field that cannot be changed) is told, never ignored.
            return api.create_response(
                request, error_body("request.unknown_field",
                                    f"{field}: no such field here (or it cannot be changed)",
                                    field), status=422)
        message = first.get("msg", "invalid value")
        if field:
            message = f"{field}: {message}"
        return api.create_response(
            request, error_body("request.invalid", message, field), status=422)

    def on_auth_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        response = api.create_response(
            request,
            error_body("auth.unauthenticated",
                       "send a valid API token as 'Authorization: Bearer <token>'"),
            status=401,
        )
        response["WWW-Authenticate"] = "Bearer"
        return response

    def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        if exc.status_code == 400 and isinstance(exc.__cause__, BodyNotAnObject):
            return api.create_response(
                request, error_body("request.malformed", str(exc.__cause__), "body"),
                status=400)
        if exc.status_code == 400:
            return api.create_response(
                request, error_body("request.malformed", "the request body is not valid JSON",
                                    "body"), status=400)
        return api.create_response(request, error_body("request.error", str(exc)),
                                   status=exc.status_code)

    def on_404(request: HttpRequest, exc: Http404) -> HttpResponse:
        return api.create_response(request, error_body("request.not_found", "not found"),
                                   status=404)

    api.add_exception_handler(DomainError, on_domain_error)
    api.add_exception_handler(ValidationError, on_validation_error)
    api.add_exception_handler(AuthenticationError, on_auth_error)
    api.add_exception_handler(HttpError, on_http_error)
    api.add_exception_handler(Http404, on_404)
    api.add_decorator(refuse_nul_characters, mode="view")
    api.add_decorator(find_unknown_query_parameters, mode="view")
    api.add_decorator(refuse_unknown_query_parameters, mode="operation")
    api.parser = ObjectBodyParser()

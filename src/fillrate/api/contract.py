"""Every answer under /api/ keeps the API's error shape, including the ones
Django makes before (or instead of) a view: a disallowed Host, a body over
the size limit, a method the path does not allow, a CSRF refusal.

The middleware sits first, so it sees the request before anything asks for
the host or reads the body, and every response last.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.http import HttpRequest, HttpResponse

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

"""`Idempotency-Key` on every API POST.

The same key from the same user with the same request (the same method,
path and query, and the same JSON body: its value, not its bytes, so the
keys may come in another order) replays the stored
status and body and has no second effect; with a different request it is 422.
The record is inserted in the transaction that runs the request, so a
concurrent duplicate waits on the unique index and then replays. Responses
of 5xx are not kept (the whole request rolls back), so a retry runs again.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable

from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse

from fillrate.api.auth import request_user
from fillrate.api.errors import error_response
from fillrate.api.models import IdempotencyRecord

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255
API_PREFIX = "/api/"


def _canonical_body(body: bytes) -> bytes:
    """A JSON body as its parsed value, keys sorted and spaces dropped: the
    same request sent with its keys in another order (or spaced otherwise)
    is the same request. A body that is not JSON is compared byte for byte."""
    try:
        value = json.loads(body)
    except ValueError:
        return body
    return b"json:" + json.dumps(value, sort_keys=True, separators=(",", ":"),
                                 ensure_ascii=False).encode()


def _request_hash(request: HttpRequest, *, canonical: bool = True) -> str:
    digest = hashlib.sha256()
    digest.update(request.method.encode())
    digest.update(b"\0" + request.get_full_path().encode() + b"\0")
    digest.update(_canonical_body(request.body) if canonical else request.body)
    return digest.hexdigest()


def _replay(record: IdempotencyRecord) -> HttpResponse:
    response = HttpResponse(bytes(record.body), status=record.status_code,
                            content_type=record.content_type or "application/json")
    response["Idempotent-Replayed"] = "true"
    return response


class IdempotencyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        key = request.headers.get(HEADER)
        if key is None or request.method != "POST" or not request.path.startswith(API_PREFIX):
            return self.get_response(request)
        if not key.strip() or len(key) > MAX_KEY_LENGTH:
            return error_response(
                400, "request.invalid_idempotency_key",
                f"{HEADER} must be 1 to {MAX_KEY_LENGTH} characters", HEADER)
        user = request_user(request)
        if user is None:
            return self.get_response(request)  # the API answers 401
        request_hash = _request_hash(request)
        with transaction.atomic():
            try:
                with transaction.atomic():
                    record = IdempotencyRecord.objects.create(
                        user=user, key=key, request_hash=request_hash)
            except IntegrityError:
                record = IdempotencyRecord.objects.get(user=user, key=key)
                # (a record kept before bodies were canonicalised holds the
                # hash of the bytes)
                if record.request_hash not in (request_hash,
                                               _request_hash(request, canonical=False)):
                    return error_response(
                        422, "request.idempotency_key_reused",
                        f"this {HEADER} was used with a different request", HEADER)
                return _replay(record)
            response = self.get_response(request)
            if response.status_code >= 500:
                transaction.set_rollback(True)
                return response
            record.status_code = response.status_code
            record.content_type = response.get("Content-Type", "")
            record.body = response.content
            record.save(update_fields=["status_code", "content_type", "body"])
        return response

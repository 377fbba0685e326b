"""`POST /imports/{kind}`: a CSV body, all rows or none."""

from __future__ import annotations

from typing import Literal

from django.http import HttpRequest
from ninja import Query, Router, Schema

from fillrate.api.auth import actor_id, needs
from fillrate.api.schemas import ErrorDetail
from fillrate.core.errors import BadRequest
from fillrate.workflows.imports import KINDS, ImportFailed, kind_named, run_import

router = Router(tags=["imports"])

CSV_TYPES = ("text/csv", "application/csv", "text/plain")


class ImportParams(Schema):
    dry_run: bool = False


class ImportOut(Schema):
    kind: str
    rows: int
    created: int
    updated: int
    unchanged: int
    dry_run: bool
    seconds: float
    extra: dict[str, int]


class RowErrorOut(Schema):
    row: int
    column: str
    message: str


class ImportErrors(Schema):
    error: ErrorDetail
    errors: list[RowErrorOut]
    error_count: int


def _text(request: HttpRequest) -> str:
    content_type = request.content_type or ""
    if content_type not in CSV_TYPES:
        raise BadRequest("request.unsupported_media_type",
                         f"send the file as text/csv (not {content_type or 'nothing'})",
                         field="body")
    try:
        return request.body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BadRequest("request.malformed", f"the body is not UTF-8 text (byte {exc.start})",
                         field="body") from None


@router.post(
    "/imports/{kind}", response={201: ImportOut, 422: ImportErrors},
    auth=needs("imports.run"),
    openapi_extra={"requestBody": {"required": True, "content": {
        "text/csv": {"schema": {"type": "string", "description":
                                "the file: a header row, then one row per record"}}}}},
    description=f"kind: {', '.join(KINDS)}. Every row is checked before anything is "
    "written; all rows or none. `?dry_run=true` checks and counts, and writes nothing.")
def post_import(request, kind: Literal[tuple(KINDS)], params: Query[ImportParams]):  # type: ignore[valid-type]
    import io

    spec = kind_named(kind)
    text = _text(request)
    try:
        result = run_import(spec, lambda: io.StringIO(text, newline=""),
                            dry_run=params.dry_run, actor_id=actor_id(request))
    except ImportFailed as failed:
        return 422, {"error": {"code": failed.code, "message": failed.message, "field": "body"},
                     "errors": [e.as_dict() for e in failed.errors],
                     "error_count": failed.total}
    return 201, {**{k: v for k, v in result.as_dict().items() if k in ImportOut.model_fields},
                 "extra": result.extra}

"""`?limit=&offset=` on every list, answered as `{"items": [...], "count": N}`."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from django.db.models import QuerySet
from ninja import Field, Schema

T = TypeVar("T")

MAX_LIMIT = 500
# Past any real row count; the bound keeps numbers the database cannot hold
# (a server error) out of its queries.
MAX_OFFSET = 2**31 - 1


class PageParams(Schema):
    limit: int = Field(50, ge=1, le=MAX_LIMIT)
    offset: int = Field(0, ge=0, le=MAX_OFFSET)


def paginate(
    rows: QuerySet[Any] | Sequence[Any], params: PageParams,
    render: Callable[[Any], Any] = lambda row: row,
) -> dict[str, Any]:
    count = rows.count() if isinstance(rows, QuerySet) else len(rows)
    window = rows[params.offset: params.offset + params.limit]
    return {"items": [render(row) for row in window], "count": count}

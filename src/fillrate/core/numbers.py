"""Human document numbers: `SO-000123`, `BO-000045`."""

from __future__ import annotations

import re

from fillrate.core.errors import NotFound

# The range of every quantity column on PostgreSQL (`integer`): more is a
# 422 naming the field, never a 500.
MAX_QUANTITY = 2**31 - 1


def format_number(prefix: str, pk: int) -> str:
    return f"{prefix}-{pk:06d}"


def parse_number(prefix: str, number: str, *, what: str) -> int:
    # At most 18 digits: a longer number names nothing and overflows a 64-bit id.
    match = re.fullmatch(rf"{re.escape(prefix)}-0*(\d{{1,18}})", number.strip().upper())
    if not match:
        raise NotFound(f"{what}.not_found", f"no {what} {number!r}")
    return int(match.group(1))

"""A SKU's case-blind key, spelled as the database's `UPPER()` spells it.

SKUs are unique whatever their case (`UPPER(sku)`), and lookups compare a
key made here with keys the database makes. Python's `str.upper()` differs
from SQL's for letters beyond ASCII (`"ß".upper()` is `"SS"`; SQLite's
`UPPER()` leaves every non-ASCII letter alone), so a SKU such as `SL-ß`
would never be found again. This makes the key the way the database does.
"""

from __future__ import annotations

from django.db import connection

_ASCII_UPPER = str.maketrans("abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ")


def sku_key(sku: str) -> str:
    text = sku.strip()
    if connection.vendor == "sqlite":
        return text.translate(_ASCII_UPPER)
    # PostgreSQL maps one character to one character (ß stays ß, é is É).
    return "".join(up if len(up := c.upper()) == 1 else c for c in text)

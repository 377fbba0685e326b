"""Amounts of money as people read them on pages: `$1,234.50`, `€99.00`,
`1,234.50 CHF`. The API and CSV exports keep plain decimals."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "AUD": "A$", "CAD": "C$", "NZD": "NZ$"}
CENT = Decimal("0.01")


def format_money(amount: object, currency: str = "USD") -> str:
    """Two places and thousands separators; the symbol of a common currency
    before the number, any other currency's code after it; "—" for no amount."""
    if amount is None or amount == "":
        return "—"
    try:
        value = Decimal(str(amount)).quantize(CENT, rounding=ROUND_HALF_UP)
    except InvalidOperation:
        return str(amount)
    sign = "-" if value < 0 else ""
    number = f"{abs(value):,.2f}"
    code = str(currency or "USD")
    symbol = SYMBOLS.get(code)
    return f"{sign}{symbol}{number}" if symbol else f"{sign}{number} {code}"

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Annotated, Any, ClassVar, Generic, TypeVar

from ninja import Field, Schema
from pydantic import (
    AfterValidator,
    BeforeValidator,
    ConfigDict,
    PlainSerializer,
    Strict,
    WithJsonSchema,
    field_validator,
)

from fillrate.inventory.models import AdjustmentReason

T = TypeVar("T")

# Request bodies take numbers and flags as JSON numbers and booleans only:
# "3", 3.5 or true for a quantity, or "yes" for a flag, are 422 naming the
# field rather than read as something the client may not have meant.
# (Query parameters arrive as text and stay lax.)
def _whole_number(value: Any) -> Any:
    # 2.0 is the number 2 in JSON (and to JSON Schema, which the OpenAPI
    # document speaks); 2.5 stays a float and is refused.
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


Count = Annotated[int, Strict(), BeforeValidator(_whole_number)]
Flag = Annotated[bool, Strict()]

CENT = Decimal("0.01")
_PLAIN_DECIMAL = re.compile(r"-?(\d+(\.\d*)?|\.\d+)\Z")


def money_text(value: Decimal | int | str) -> str:
    """Money in every answer: a decimal string with two places ("1000.00",
    "0.00"), never "1E+3" or "1000"."""
    return format(Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP), "f")


def _plain_decimal(value: Any) -> Any:
    if isinstance(value, Decimal):  # (from Python, not from JSON)
        return value
    if not isinstance(value, str):
        raise ValueError('money is a decimal string such as "12.50" (not a JSON number)')
    if not _PLAIN_DECIMAL.match(value.strip()):
        raise ValueError('money is a plain decimal such as "12.50" (no exponent)')
    return value


# Money out: a two-place decimal string. Money in: a plain decimal string
# ("12.50"); a JSON number (which a client's float may have rounded), "1e3",
# "NaN" or "Infinity" are 422 naming the field. The OpenAPI document types
# both as decimal strings with a pattern.
MONEY_OUT_PATTERN = r"^-?\d+\.\d{2}$"
Money = Annotated[Decimal, PlainSerializer(money_text, return_type=str),
                  WithJsonSchema({"type": "string", "pattern": MONEY_OUT_PATTERN,
                                  "examples": ["1250.00"]}, mode="serialization")]
MoneyIn = Annotated[Decimal, BeforeValidator(_plain_decimal),
                    WithJsonSchema({"type": "string", "pattern": r"^\d{1,10}(\.\d{1,2})?$",
                                    "examples": ["12.50"]}, mode="validation")]
# Money above zero, up to 12 digits before the point.
POSITIVE_MONEY = r"^([1-9][0-9]{0,11}(\.[0-9]{1,2})?|0?\.(0[1-9]|[1-9][0-9]?))$"
# A share or an average in a report: a decimal string, or null when there is
# nothing to divide by.
Ratio = Annotated[Decimal, WithJsonSchema({"type": "string", "pattern": r"^-?\d+(\.\d+)?$"},
                                          mode="serialization")]


def OneOf(values: Iterable[str]) -> Any:  # noqa: N802 (a type, as used)
    """A text that is one of `values`. The server checks it (with the 422
    code of the rule it breaks); the OpenAPI document lists the choices."""
    return Annotated[str, WithJsonSchema({"type": "string", "enum": list(values)})]


def Filter(values: Iterable[str]) -> Any:  # noqa: N802 (a type, as used)
    """A list filter that is one of `values`, or empty for no filter."""
    return Annotated[str, WithJsonSchema({"type": "string", "enum": [*values, ""],
                                          "description": "empty: no filter"})]


# Codes (SKUs, customer and supplier codes) have no whitespace; warehouse,
# location and sales rep codes no '/' either (as the services check).
# (Whitespace spelled out as str.isspace() has it, which the services ask.)
SPACE = ("\\t\\n\\x0b\\x0c\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029"
         "\\u202f\\u205f\\u3000")
# (the services strip the spaces around a code first)
CODE_PATTERN = f"^[{SPACE}]*[^{SPACE}\\x00]+[{SPACE}]*$"
PLACE_CODE_PATTERN = f"^[{SPACE}]*[^{SPACE}/\\x00]+[{SPACE}]*$"
CODE = {"pattern": CODE_PATTERN}
# A name has something in it besides spaces.
NAME = {"pattern": f"^[^\\x00]*[^{SPACE}\\x00][^\\x00]*$"}
# Empty, or an address as Django's EmailValidator takes it (core.validation
# strips the spaces around it first).
_ATOM = r"[-!#$%&'*+/=?^_`{}|~0-9A-Za-z]+"
_LETTER = "a-zA-Z\u00a1-\uffff"
_LABEL = f"[{_LETTER}0-9]([{_LETTER}0-9-]{{0,61}}[{_LETTER}0-9])?"
_TLD = f"([{_LETTER}][{_LETTER}-]{{0,61}}[{_LETTER}]|xn--[a-zA-Z0-9]{{1,59}})"
EMAIL = {"pattern": f"^[{SPACE}]*({_ATOM}(\\.{_ATOM})*"
                    f"@({_LABEL}(\\.{_LABEL})*\\.{_TLD}|localhost))?[{SPACE}]*$"}
PLACE_CODE = {"pattern": PLACE_CODE_PATTERN}
# Quantities: whole numbers the ledger can hold (the services check them);
# `Quantity` is one from 1 up, as documented.
MAX_QUANTITY = 2**31 - 1
QUANTITY = {"minimum": 1, "maximum": MAX_QUANTITY}
LEAD_TIME = {"minimum": 0, "maximum": 3650}


EARLIEST = date(2000, 1, 1)
LATEST = date(2100, 12, 31)


def in_date_range(value: Any) -> Any:
    day = value.date() if isinstance(value, datetime) else value
    if isinstance(day, date) and not EARLIEST <= day <= LATEST:
        raise ValueError(f"a date from {EARLIEST} to {LATEST}, not {value}")
    return value


# A date in a query parameter, held to the same range as dates in bodies.
Day = Annotated[date, AfterValidator(in_date_range)]


def past_date_warnings(field: str, value: date | None) -> list[str]:
    """Accepted, but told: a date that has already passed."""
    from django.utils import timezone

    today = timezone.localdate()
    if value is not None and value < today:
        return [f"{field} {value} is in the past (today is {today})"]
    return []


class RequestSchema(Schema):
    """The base of every request body and of every object inside one: a
    field it does not name is 422 `request.unknown_field` naming it (a typo
    such as `"hodl": true` is never silently dropped), and a value that is
    not a JSON object where one is expected is 422 too. Every date in it
    lies between `EARLIEST` and `LATEST` (a year 1 or 9999 is a typo)."""

    # A partial body (a PATCH: only the fields sent change) takes null only
    # where null is a value (`NULLABLE`, e.g. "no sales rep"); elsewhere a
    # field may be left out but not sent as null, and the OpenAPI document
    # says so. In a whole body, null is the same as leaving the field out.
    PARTIAL: ClassVar[bool] = False
    NULLABLE: ClassVar[frozenset[str]] = frozenset()
    # Rules between fields (JSON Schema `if`/`then`) the server checks and
    # the OpenAPI document states.
    RULES: ClassVar[dict[str, Any]] = {}

    model_config = ConfigDict(extra="forbid", json_schema_extra=lambda schema, cls:
                              _document_not_null(schema, cls))

    @field_validator("*")
    @classmethod
    def _dates_in_range(cls, value: Any) -> Any:
        return in_date_range(value)


def _document_not_null(schema: dict[str, Any], cls: Any) -> None:
    schema.update(getattr(cls, "RULES", {}))
    if not getattr(cls, "PARTIAL", False):
        return
    nullable = getattr(cls, "NULLABLE", frozenset())
    for name, prop in schema.get("properties", {}).items():
        options = prop.get("anyOf")
        if name in nullable or not options:
            continue
        rest = [o for o in options if o.get("type") != "null"]
        if len(rest) != len(options):
            prop.pop("anyOf")
            if prop.get("default", 0) is None:
                prop.pop("default")
            if len(rest) == 1:
                prop.update(rest[0])
            else:
                prop["anyOf"] = rest


class Page(Schema, Generic[T]):
    items: list[T]
    count: int


class ErrorDetail(Schema):
    code: str
    message: str
    field: str | None = None


class Error(Schema):
    error: ErrorDetail


class ProductIn(RequestSchema):
    sku: str = Field(..., min_length=1, max_length=64, json_schema_extra=CODE)
    name: str = Field(..., min_length=1, max_length=200, json_schema_extra=NAME)
    list_price: MoneyIn = Field(..., max_digits=12, decimal_places=2)
    upc: str = Field("", max_length=32)
    variant: str = Field("", max_length=100)
    category: str = Field("", max_length=100)
    description: str = ""
    discontinued: Flag = False


class ProductPatch(RequestSchema):
    """Only the fields sent change; a field not named here is 422
    `request.unknown_field` (the SKU itself cannot be changed)."""

    PARTIAL = True

    name: str | None = Field(None, min_length=1, max_length=200, json_schema_extra=NAME)
    upc: str | None = Field(None, max_length=32)
    variant: str | None = Field(None, max_length=100)
    category: str | None = Field(None, max_length=100)
    description: str | None = None
    list_price: MoneyIn | None = Field(None, max_digits=12, decimal_places=2)
    discontinued: Flag | None = None


class DiscontinueIn(RequestSchema):
    cancel_backorders: Flag = False


class StockAtLocation(Schema):
    location: str
    kind: str
    on_hand: int
    allocated: int
    available: int


class ProductOut(Schema):
    sku: str
    upc: str
    name: str
    variant: str
    category: str
    list_price: Money
    discontinued: bool
    on_hand: int
    allocated: int
    available: int
    backordered: int
    incoming: int


class ProductDetail(ProductOut):
    description: str
    locations: list[StockAtLocation]


class CustomerIn(RequestSchema):
    code: str = Field(..., min_length=1, max_length=32, json_schema_extra=CODE)
    name: str = Field(..., min_length=1, max_length=200, json_schema_extra=NAME)
    email: str = Field("", max_length=254, json_schema_extra=EMAIL)
    phone: str = Field("", max_length=40)
    vip: Flag = False
    sales_rep: str | None = None
    delivery_address: str = ""
    payment_terms: str = Field("", max_length=40)


class CustomerPatch(RequestSchema):
    """Only the fields sent change; `sales_rep` is a sales rep's code, or
    null for none. A field not named here is 422 `request.unknown_field`."""

    PARTIAL = True

    NULLABLE = frozenset({"sales_rep"})

    name: str | None = Field(None, min_length=1, max_length=200, json_schema_extra=NAME)
    email: str | None = Field(None, max_length=254, json_schema_extra=EMAIL)
    phone: str | None = Field(None, max_length=40)
    vip: Flag | None = None
    sales_rep: str | None = None
    delivery_address: str | None = None
    payment_terms: str | None = Field(None, max_length=40)


class CustomerOut(Schema):
    code: str
    name: str
    email: str
    phone: str
    vip: bool
    sales_rep: str | None
    delivery_address: str
    payment_terms: str


class AdjustmentIn(RequestSchema):
    sku: str = Field(..., min_length=1)
    location: str | None = None
    quantity: Count = Field(..., json_schema_extra={
        "minimum": -MAX_QUANTITY, "maximum": MAX_QUANTITY, "not": {"const": 0}})
    reason: OneOf(AdjustmentReason.values)
    note: str = Field("", max_length=500)


class FedOut(Schema):
    """Units that stock (a receipt, an adjustment) gave a waiting backorder."""

    backorder: str
    sku: str
    quantity: int


class TakenOut(Schema):
    """Allocated units a loss took, from whom, and what became of them."""

    order: str
    backorder: str | None = Field(None, description="the backorder whose held units were taken")
    sku: str
    quantity: int
    outcome: str = Field(..., description="reallocated (took free stock elsewhere), "
                         "backordered (a new backorder, `new_backorder`), held (the order "
                         "went on hold on the oversold list) or waiting (the backorder "
                         "waits for stock again)")
    new_backorder: str | None = None


class ReducedOut(Schema):
    """Units taken off a pending fulfillment that no longer holds them."""

    fulfillment: str
    sku: str
    quantity: int
    cancelled: bool


class AdjustmentOut(Schema):
    movement: int
    sku: str
    location: str
    quantity: int
    reason: str
    on_hand: int
    allocated: int
    allocations: list[FedOut] = []
    taken: list[TakenOut] = []
    reduced: list[ReducedOut] = []


class MovementOut(Schema):
    id: int
    sku: str
    location: str
    quantity: int
    on_hand_after: int
    kind: str
    reason: str
    note: str
    actor: str | None
    created_at: datetime


class LocationOut(Schema):
    code: str
    warehouse: str
    name: str
    kind: str
    pick_sequence: int
    zone: str
    active: bool
    sellable: bool


class EventOut(Schema):
    id: int
    type: str
    subject_type: str
    subject: str
    actor: str | None
    payload: dict[str, Any]
    created_at: datetime

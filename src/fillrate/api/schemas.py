from __future__ import annotations

import re
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Annotated, Any, Generic, TypeVar

from ninja import Field, Schema
from pydantic import (
    AfterValidator,
    BeforeValidator,
    ConfigDict,
    PlainSerializer,
    Strict,
    field_validator,
)

T = TypeVar("T")

# Request bodies take numbers and flags as JSON numbers and booleans only:
# "3", 3.0 or true for a quantity, or "yes" for a flag, are 422 naming the
# field rather than read as something the client may not have meant.
# (Query parameters arrive as text and stay lax.)
Count = Annotated[int, Strict()]
Flag = Annotated[bool, Strict()]

CENT = Decimal("0.01")
_PLAIN_DECIMAL = re.compile(r"-?(\d+(\.\d*)?|\.\d+)\Z")


def money_text(value: Decimal | int | str) -> str:
    """Money in every answer: a decimal string with two places ("1000.00",
    "0.00"), never "1E+3" or "1000"."""
    return format(Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP), "f")


def _plain_decimal(value: Any) -> Any:
    if isinstance(value, str) and not _PLAIN_DECIMAL.match(value.strip()):
        raise ValueError('money is a plain decimal such as "12.50" (no exponent)')
    return value


# Money out: a two-place decimal string. Money in: a plain decimal, as a
# string or a JSON number; "1e3", "NaN" or "Infinity" are 422 naming the field.
Money = Annotated[Decimal, PlainSerializer(money_text, return_type=str)]
MoneyIn = Annotated[Decimal, BeforeValidator(_plain_decimal)]


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

    model_config = ConfigDict(extra="forbid")

    @field_validator("*")
    @classmethod
    def _dates_in_range(cls, value: Any) -> Any:
        return in_date_range(value)


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
    sku: str = Field(..., min_length=1, max_length=64)
    name: str = Field(..., min_length=1, max_length=200)
    list_price: MoneyIn = Field(..., max_digits=12, decimal_places=2)
    upc: str = Field("", max_length=32)
    variant: str = Field("", max_length=100)
    category: str = Field("", max_length=100)
    description: str = ""
    discontinued: Flag = False


class ProductPatch(RequestSchema):
    """Only the fields sent change; a field not named here is 422
    `request.unknown_field` (the SKU itself cannot be changed)."""

    name: str | None = Field(None, min_length=1, max_length=200)
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
    code: str = Field(..., min_length=1, max_length=32)
    name: str = Field(..., min_length=1, max_length=200)
    email: str = Field("", max_length=254)
    phone: str = Field("", max_length=40)
    vip: Flag = False
    sales_rep: str | None = None
    delivery_address: str = ""
    payment_terms: str = Field("", max_length=40)


class CustomerPatch(RequestSchema):
    """Only the fields sent change; `sales_rep` is a sales rep's code, or
    null for none. A field not named here is 422 `request.unknown_field`."""

    name: str | None = Field(None, min_length=1, max_length=200)
    email: str | None = Field(None, max_length=254)
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
    quantity: Count
    reason: str
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

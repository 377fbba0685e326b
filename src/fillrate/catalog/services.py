"""Products."""

from __future__ import annotations

from decimal import Decimal

from django.db import IntegrityError, transaction

from fillrate.catalog.models import Product
from fillrate.core.errors import Conflict, InvalidValue, NotFound
from fillrate.core.event_types import EventType
from fillrate.core.events import record_event, save_field_changes


def create_product(
    *, sku: str, name: str, list_price: Decimal, upc: str = "", variant: str = "",
    category: str = "", description: str = "", discontinued: bool = False,
    actor_id: int | None = None,
) -> Product:
    """Raises `catalog.duplicate_sku`, `catalog.invalid_sku`, `catalog.invalid_price`."""
    sku = (sku or "").strip()
    if not sku or any(c.isspace() for c in sku):
        raise InvalidValue("catalog.invalid_sku", "a SKU is required and has no spaces",
                           field="sku")
    if not (name or "").strip():
        raise InvalidValue("catalog.invalid_name", "a product needs a name", field="name")
    if list_price < 0:
        raise InvalidValue("catalog.invalid_price", "list price cannot be negative",
                           field="list_price")
    with transaction.atomic():
        if Product.objects.filter(sku__iexact=sku).exists():
            raise Conflict("catalog.duplicate_sku", f"SKU {sku!r} exists already", field="sku")
        try:
            with transaction.atomic():
                product = Product.objects.create(
                    sku=sku, name=name.strip(), list_price=list_price, upc=upc,
                    variant=variant, category=category, description=description,
                    discontinued=discontinued,
                )
        except IntegrityError:
            # Created by a concurrent request since the check above (the
            # `product_sku_unique_any_case` constraint): the same answer.
            raise Conflict("catalog.duplicate_sku", f"SKU {sku!r} exists already",
                           field="sku") from None
        record_event(type=EventType.PRODUCT_CREATED, subject_type="product", subject=sku,
                     actor_id=actor_id,
                     payload={"name": product.name, "list_price": str(list_price)})
    return product


# What `update_product` may change, with the longest text each field takes.
EDITABLE = {"name": 200, "upc": 32, "variant": 100, "category": 100, "description": None,
            "list_price": None, "discontinued": None}
MAX_PRICE = Decimal("9999999999.99")


def refuse_unknown_fields(changes: dict, editable, *, code: str) -> None:
    """A field that cannot be changed is `code` (422) naming it: a typo is
    told, never ignored."""
    unknown = sorted(set(changes) - set(editable))
    if unknown:
        raise InvalidValue(code, f"{unknown[0]} cannot be changed here", field=unknown[0])


def _clean_product_change(field: str, value):
    if field == "list_price":
        try:
            price = Decimal(str(value))
        except (ArithmeticError, ValueError):
            price = None
        if price is None or not price.is_finite() or price < 0 or price > MAX_PRICE \
                or price != price.quantize(Decimal("0.01")):
            raise InvalidValue("catalog.invalid_price", "list price is an amount of money, "
                               "not negative, with at most 2 decimals", field="list_price")
        return price.quantize(Decimal("0.01"))
    if field == "discontinued":
        if not isinstance(value, bool):
            raise InvalidValue("catalog.invalid_value", "discontinued is true or false",
                               field=field)
        return value
    if not isinstance(value, str):
        raise InvalidValue("catalog.invalid_value", f"{field} is text", field=field)
    value = value.strip()
    if field == "name" and not value:
        raise InvalidValue("catalog.invalid_name", "a product needs a name", field="name")
    limit = EDITABLE[field]
    if limit is not None and len(value) > limit:
        raise InvalidValue("catalog.invalid_value", f"{field} takes at most {limit} characters",
                           field=field)
    return value


def update_product(*, sku: str, changes: dict, actor_id: int | None = None) -> Product:
    """Change a product's master data: any of `EDITABLE` (the SKU itself is
    not: it is the product's name in every document). The SKU is found in any
    case. One `ProductUpdated` event per changed field with old and new
    value; a value equal to the current one is no change and no event.

    Locks the product row. Order lines keep their own `unit_price` (locked
    when the order was placed), so a new list price only prices orders placed
    from now on. Raises `catalog.unknown_sku` (404), `catalog.not_editable`
    (422, unknown field) and the field errors of `create_product` (422); on
    any error nothing changes."""
    refuse_unknown_fields(changes, EDITABLE, code="catalog.not_editable")
    clean = {field: _clean_product_change(field, value) for field, value in changes.items()}
    with transaction.atomic():
        product = (Product.objects.select_for_update().filter(sku__iexact=(sku or "").strip())
                   .first())
        if product is None:
            raise NotFound("catalog.unknown_sku", f"no product with SKU {sku!r}", field="sku")
        save_field_changes(product, clean, type=EventType.PRODUCT_UPDATED,
                           subject_type="product", subject=product.sku, actor_id=actor_id)
    return product


def refuse_repeated_skus(skus: list[str], *, code: str) -> None:
    """A document names each SKU on one line only: the second mention of a
    SKU (case and spaces aside) is `code` (422) naming `lines[i].sku`."""
    seen: dict[str, int] = {}
    for i, sku in enumerate(skus):
        key = sku.strip().upper()
        if key in seen:
            raise InvalidValue(
                code, f"{sku} is on line {seen[key] + 1} already: put the whole quantity on "
                "one line",
                field=f"lines[{i}].sku")
        seen[key] = i

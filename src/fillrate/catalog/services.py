"""Products."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction

from fillrate.catalog.models import Product
from fillrate.core.errors import Conflict, InvalidValue
from fillrate.core.events import record_event


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
        product = Product.objects.create(
            sku=sku, name=name.strip(), list_price=list_price, upc=upc, variant=variant,
            category=category, description=description, discontinued=discontinued,
        )
        record_event(type="ProductCreated", subject_type="product", subject=sku,
                     actor_id=actor_id,
                     payload={"name": product.name, "list_price": str(list_price)})
    return product


def refuse_repeated_skus(skus: list[str], *, code: str) -> None:
    """A document names each SKU on one line only: the second mention of a
    SKU (case and spaces aside) is `code` (422) naming `lines[i].sku`."""
    seen: dict[str, int] = {}
    for i, sku in enumerate(skus):
        key = sku.strip().upper()
        if key in seen:
            raise InvalidValue(
                code, f"{sku} is on line {seen[key]} already: put the whole quantity on one line",
                field=f"lines[{i}].sku")
        seen[key] = i

from __future__ import annotations

from django.db.models.functions import Upper

from fillrate.catalog.models import Product
from fillrate.core.errors import NotFound


def product_by_sku(sku: str, *, field: str = "sku") -> Product:
    product = Product.objects.filter(sku=sku).first()
    if product is None:
        raise NotFound("catalog.unknown_sku", f"no product with SKU {sku!r}", field=field)
    return product


def require_known_sku(sku: str, *, field: str) -> None:
    """404 `catalog.unknown_sku` naming `field` when no product has this SKU
    (any case): for a line that names a SKU the document at hand does not
    hold, which tells "no such product" (404) from "not on it" (422)."""
    if sku.strip().upper() not in existing_skus([sku]):
        raise NotFound("catalog.unknown_sku", f"no product with SKU {sku!r}", field=field)


def existing_skus(skus: list[str]) -> set[str]:
    """Which of these SKUs a product has, upper-cased (SKUs are unique
    whatever their case), in one query."""
    wanted = {sku.strip().upper() for sku in skus}
    return set(Product.objects.annotate(key=Upper("sku")).filter(key__in=wanted)
               .values_list("key", flat=True))

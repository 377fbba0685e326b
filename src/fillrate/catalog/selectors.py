from __future__ import annotations

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
    if not Product.objects.filter(sku__iexact=sku.strip()).exists():
        raise NotFound("catalog.unknown_sku", f"no product with SKU {sku!r}", field=field)

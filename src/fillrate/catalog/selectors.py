from __future__ import annotations

from fillrate.catalog.models import Product
from fillrate.core.errors import NotFound


def product_by_sku(sku: str, *, field: str = "sku") -> Product:
    product = Product.objects.filter(sku=sku).first()
    if product is None:
        raise NotFound("catalog.unknown_sku", f"no product with SKU {sku!r}", field=field)
    return product

from __future__ import annotations

from django.db.models.functions import Upper

from fillrate.catalog.keys import sku_key
from fillrate.catalog.models import Product
from fillrate.core.errors import NotFound
from fillrate.core.selectors import suggestions


def product_by_sku(sku: str, *, field: str = "sku") -> Product:
    """The product with this SKU, whatever the case it is typed in (SKUs are
    unique in any case: see the `product_sku_unique_any_case` constraint)."""
    product = Product.objects.filter(sku__iexact=sku.strip()).first()
    if product is None:
        raise NotFound("catalog.unknown_sku", f"no product with SKU {sku!r}", field=field)
    return product


def require_known_sku(sku: str, *, field: str) -> None:
    """404 `catalog.unknown_sku` naming `field` when no product has this SKU
    (any case): for a line that names a SKU the document at hand does not
    hold, which tells "no such product" (404) from "not on it" (422)."""
    if sku_key(sku) not in existing_skus([sku]):
        raise NotFound("catalog.unknown_sku", f"no product with SKU {sku!r}", field=field)


def existing_skus(skus: list[str]) -> set[str]:
    """Which of these SKUs a product has, upper-cased (SKUs are unique
    whatever their case), in one query."""
    wanted = {sku_key(sku) for sku in skus}
    return set(Product.objects.annotate(key=Upper("sku")).filter(key__in=wanted)
               .values_list("key", flat=True))


def stored_skus(skus: list[str]) -> dict[str, str]:
    """The stored spelling of each of these SKUs that a product has, keyed
    by the SKU upper-cased and stripped, in one query."""
    wanted = {sku_key(sku) for sku in skus}
    return dict(Product.objects.annotate(key=Upper("sku")).filter(key__in=wanted)
                .values_list("key", "sku"))


def product_suggestions(text: str, *, limit: int = 12) -> list[Product]:
    """Products by SKU or name as you type (`fillrate.core.selectors.suggestions`)."""
    return suggestions(Product.objects.all(), code="sku", text=text, limit=limit)

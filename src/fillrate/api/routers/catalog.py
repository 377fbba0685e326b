from __future__ import annotations

from ninja import Query, Router, Schema

from fillrate.api.auth import actor_id, needs
from fillrate.api.pagination import PageParams, paginate
from fillrate.api.schemas import Page, ProductDetail, ProductIn, ProductOut
from fillrate.backorders.selectors import product_figures, products_with_figures
from fillrate.catalog.services import create_product
from fillrate.inventory.selectors import stock_by_location

router = Router(tags=["products"])


class ProductFilters(Schema):
    search: str = ""
    category: str = ""
    discontinued: bool | None = None


def _detail(sku: str) -> dict:
    product = product_figures(sku)
    return {
        **{f: getattr(product, f) for f in ProductOut.model_fields},
        "description": product.description,
        "locations": [
            {"location": s.location.code, "kind": s.location.kind, "on_hand": s.on_hand,
             "allocated": s.allocated, "available": s.free if s.location.sellable else 0}
            for s in stock_by_location(product_id=product.id)
        ],
    }


@router.post("/products", response={201: ProductDetail}, auth=needs("catalog.manage"))
def post_product(request, payload: ProductIn):
    product = create_product(**payload.dict(), actor_id=actor_id(request))
    return 201, _detail(product.sku)


@router.get("/products", response=Page[ProductOut], auth=needs("catalog.view"))
def list_products(request, filters: Query[ProductFilters], page: Query[PageParams]):
    return paginate(products_with_figures(**filters.dict()), page)


@router.get("/products/{sku}", response=ProductDetail, auth=needs("catalog.view"))
def get_product(request, sku: str):
    return _detail(sku)

from __future__ import annotations

from ninja import Query, Router, Schema

from fillrate.api.auth import actor_id, needs
from fillrate.api.pagination import PageParams, paginate
from fillrate.api.schemas import (
    DiscontinueIn,
    Page,
    ProductDetail,
    ProductIn,
    ProductOut,
    ProductPatch,
)
from fillrate.backorders.selectors import product_figures, products_with_figures
from fillrate.catalog.services import create_product, update_product
from fillrate.inventory.selectors import stock_by_location
from fillrate.workflows.discontinue import discontinue_product

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


# A SKU may contain "/" (`{path:sku}`), so the action path is matched before
# the product itself: `/products/A/B/discontinue` is product A/B's action.
class DiscontinuedOut(ProductDetail):
    cancelled_backorders: list[str]


@router.post(
    "/products/{path:sku}/discontinue", response=DiscontinuedOut, auth=needs("catalog.manage"),
    description="Mark the product discontinued (it can no longer be ordered or purchased). "
    "With `cancel_backorders: true` every active backorder's open units of it are cancelled "
    "with reason `product_discontinued` (only that product's line of each backorder; one "
    "event per backorder) and the stock they held goes to others waiting; "
    "`cancelled_backorders` lists their numbers, oldest first.")
def post_discontinue(request, sku: str, payload: DiscontinueIn | None = None):
    payload = payload or DiscontinueIn()
    done = discontinue_product(sku=sku, cancel_backorders=payload.cancel_backorders,
                               actor_id=actor_id(request))
    return {**_detail(done.product.sku), "cancelled_backorders": done.cancelled_backorders}


@router.get("/products/{path:sku}", response=ProductDetail, auth=needs("catalog.view"))
def get_product(request, sku: str):
    return _detail(sku)


@router.patch(
    "/products/{path:sku}", response=ProductDetail, auth=needs("catalog.manage"),
    description="Change a product's master data: only the fields sent change, one "
    "`ProductUpdated` event per changed field (old and new value). The SKU is matched in any "
    "case and cannot itself be changed. A new `list_price` prices orders placed from now "
    "on: order lines keep the unit price they were placed at. Setting `discontinued` here "
    "leaves its backorders open: `POST /products/{sku}/discontinue` can cancel them.")
def patch_product(request, sku: str, payload: ProductPatch):
    product = update_product(sku=sku, changes=payload.dict(exclude_unset=True),
                             actor_id=actor_id(request))
    return _detail(product.sku)

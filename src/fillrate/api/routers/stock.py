from __future__ import annotations

from ninja import Query, Router, Schema

from fillrate.api.auth import actor_id, needs
from fillrate.api.pagination import PageParams, paginate
from fillrate.api.schemas import AdjustmentIn, AdjustmentOut, MovementOut, Page
from fillrate.catalog.selectors import product_by_sku
from fillrate.inventory.models import StockMovement
from fillrate.inventory.selectors import location_for_new_stock, movements
from fillrate.workflows.adjust_stock import adjust_stock_and_feed

router = Router(tags=["stock"])


@router.post("/stock/adjustments", response={201: AdjustmentOut}, auth=needs("stock.adjust"))
def post_adjustment(request, payload: AdjustmentIn):
    product = product_by_sku(payload.sku)
    location_id = (location_for_new_stock(payload.location).id if payload.location
                   else None)
    result = adjust_stock_and_feed(
        product_id=product.id, location_id=location_id, quantity=payload.quantity,
        reason=payload.reason, note=payload.note, actor_id=actor_id(request),
    )
    return 201, {
        "movement": result.movement_id, "sku": result.sku, "location": result.location,
        "quantity": result.quantity, "reason": payload.reason, "on_hand": result.on_hand,
        "allocated": result.allocated,
        "allocations": [{"backorder": f.backorder, "sku": f.sku, "quantity": f.quantity}
                        for f in result.allocations],
        "taken": [vars(t) for t in result.taken],
        "reduced": [vars(r) for r in result.reduced],
    }


class MovementFilters(Schema):
    sku: str | None = None


def render_movement(m: StockMovement) -> dict:
    return {
        "id": m.id, "sku": m.product.sku, "location": m.location.code, "quantity": m.quantity,
        "on_hand_after": m.on_hand_after, "kind": m.kind, "reason": m.reason, "note": m.note,
        "actor": m.actor.username if m.actor else None, "created_at": m.created_at,
    }


@router.get("/stock/movements", response=Page[MovementOut], auth=needs("stock.view"))
def list_movements(request, filters: Query[MovementFilters], page: Query[PageParams]):
    return paginate(movements(sku=filters.sku), page, render_movement)

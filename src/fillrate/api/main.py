"""The JSON API at /api/v1/: routers, error shape, and the unmatched-path 404."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from fillrate.api import errors
from fillrate.api.contract import ContractAPI
from fillrate.api.routers import (
    backorders,
    catalog,
    credits,
    customers,
    events,
    fulfillments,
    imports,
    orders,
    picking,
    places,
    purchasing,
    reports,
    sales_reps,
    settings,
    stock,
    webhooks,
)

api = ContractAPI(
    title="fillrate",
    version="1",
    description="Orders, stock and backorders. Authenticate with `Authorization: Bearer "
    "<token>` (`fillrate token NAME`). Every POST accepts an `Idempotency-Key` header.",
    urls_namespace="api",
    docs_url="/docs",
    openapi_url="/openapi.json",
)
errors.install(api, body_param_names={"payload"})

# `fulfillments` first: its `/backorders/fulfil-by-product` must be matched
# before the backorders router's `/backorders/{number}`; `picking` before it:
# its `/fulfillments/dispatch` before `/fulfillments/{number}`.
for module in (picking, fulfillments, catalog, customers, sales_reps, stock, places, orders,
               backorders, purchasing, settings, events, imports, reports, credits, webhooks):
    api.add_router("", module.router)


@csrf_exempt
def not_found(request: HttpRequest, rest: str = "") -> JsonResponse:
    return errors.error_response(404, "request.not_found",
                                 f"no endpoint {request.method} {request.path}")

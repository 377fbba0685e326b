"""What the API offers, found by walking the ninja routers, and a small world
of existing objects to point every operation at.

A new endpoint shows up in `OPERATIONS` by itself. If its path has a
parameter or it writes, the role-matrix tests fail until a value for the
parameter (`PATH_VALUES`) and a body that succeeds (`BODIES`) are added here.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from fillrate.api.auth import Permission
from fillrate.api.main import api
from fillrate.api.schemas import Page

PREFIX = "/api/v1"
WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


@dataclass(frozen=True)
class Op:
    method: str
    path: str  # as declared, e.g. "/products/{sku}"
    auth: tuple
    response: Any

    @property
    def id(self) -> str:
        return f"{self.method} {self.path}"

    @property
    def permissions(self) -> list[str]:
        return [cb.permission for cb in self.auth if isinstance(cb, Permission)]

    @property
    def writes(self) -> bool:
        return self.method in WRITE_METHODS

    @property
    def is_list(self) -> bool:
        return isinstance(self.response, type) and issubclass(self.response, Page)

    @property
    def resource(self) -> str:
        return self.path.strip("/").split("/")[0]


def _response_model(operation) -> Any:
    for status in (200, 201):
        model = operation.response_models.get(status)
        if hasattr(model, "model_fields"):  # not None, not NOT_SET
            return model.model_fields["response"].annotation
    return None


def _mounted_routers() -> list:
    """(prefix, router) of every mounted router. django-ninja >= 1.5 serves
    copies of the routers' operations with inherited auth applied: walk those."""
    if hasattr(api, "_get_bound_routers"):
        return [(bound.prefix, bound) for bound in api._get_bound_routers()]
    return list(api._routers)


def api_operations() -> list[Op]:
    ops = []
    for prefix, router in _mounted_routers():
        for path, view in router.path_operations.items():
            for operation in view.operations:
                for method in operation.methods:
                    full = re.sub(r"/+", "/", f"/{prefix}/{path}").rstrip("/") or "/"
                    full = re.sub(r"\{\w+:(\w+)\}", r"{\1}", full)  # as OpenAPI names it
                    callbacks = operation.auth_callbacks  # NOT_SET when none is declared
                    auth = tuple(callbacks) if isinstance(callbacks, list | tuple) else ()
                    ops.append(Op(method, full, auth, _response_model(operation)))
    return sorted(ops, key=lambda op: (op.path, op.method))


OPERATIONS = api_operations()


@dataclass
class World:
    sku: str  # 10 on hand at A-01
    customer: str
    sales_rep: str
    order: str  # open: 2 allocated, 3 backordered
    order_line: int  # its allocated line
    backorder: str  # the order's backorder
    held: str  # on hold at the customer's request, fully allocated
    oversold: str  # on the oversold list
    supplier: str
    purchase_order: str  # ordered: 5 of `sku`, nothing received
    draft_purchase_order: str  # a draft for 5 of `sku`
    # set by `add_fulfilment`
    ready_backorder: str = ""  # WORLD-BO: 2 allocated, nothing on a fulfillment
    fulfillment: str = ""  # queued: 1 of `sku` from its own order
    dispatched: str = ""  # dispatched: 1 of `sku`, with `invoice`
    invoice: str = ""
    # set by `add_floor`
    tote: str = ""  # empty
    run: str = ""  # open, with `run_fulfillment` (1 of `sku`, queued, nothing picked)
    run_fulfillment: str = ""
    picked_run: str = ""  # done: `picked_fulfillment` picked into `packable_tote`
    picked_fulfillment: str = ""
    packable_tote: str = ""
    issue: str = ""  # open: 1 of `sku` missing at A-01 for a queued fulfillment
    held_fulfillment: str = ""  # queued, held
    # set by `add_webhook`
    webhook: str = ""  # the id of a webhook subscribed to OrderPlaced
    # set by `add_choice`
    credited_order: str = ""  # paid, then cancelled: 1 unit's price owed back


def build_world(stock) -> World:
    from fillrate.core.business import change_settings
    from fillrate.orders.services import LineInput
    from fillrate.purchasing.services import PurchaseLineInput, create_supplier
    from fillrate.workflows.place_order import place_order
    from fillrate.workflows.purchase_orders import create_purchase_order
    from tests.factories import (
        CustomerFactory,
        LocationFactory,
        ProductFactory,
        SalesRepFactory,
    )

    rep = SalesRepFactory(code="REP-WORLD")
    customer = CustomerFactory(code="C-WORLD", sales_rep=rep)
    product = stock(quantity=10, sku="WORLD-SKU")
    short = ProductFactory(sku="WORLD-SHORT")
    placed = place_order(customer=customer.code,
                         lines=[LineInput(product.sku, 2), LineInput(short.sku, 3)])
    held = place_order(customer=customer.code, lines=[LineInput(product.sku, 1)], hold=True)
    change_settings(changes={"oversell_policy": "hold"})
    oversold = place_order(customer=customer.code, lines=[LineInput(short.sku, 2)])
    change_settings(changes={"oversell_policy": "backorder"})
    (backorder,) = placed.backorders
    supplier = create_supplier(code="SUP-WORLD", name="World supplies", lead_time_days=7)
    purchase_order = create_purchase_order(supplier=supplier.code,
                                           lines=[PurchaseLineInput(product.sku, 5)])
    draft = create_purchase_order(supplier=supplier.code, status="draft",
                                  lines=[PurchaseLineInput(product.sku, 5)])
    LocationFactory(code="RECV-WORLD", kind="receiving", pick_sequence=900)
    world = World(
        sku=product.sku, customer=customer.code, sales_rep=rep.code,
        order=placed.order.number,
        order_line=next(x.id for x in placed.lines if x.product_id == product.id),
        backorder=backorder.number, held=held.order.number, oversold=oversold.order.number,
        supplier=supplier.code, purchase_order=purchase_order.number,
        draft_purchase_order=draft.number,
    )
    add_fulfilment(world, stock)
    add_floor(world)
    add_webhook(world)
    add_choice(world)
    return world


def add_webhook(world: World) -> None:
    from fillrate.comms.webhooks import subscribe

    world.webhook = str(subscribe(url="http://127.0.0.1:9/hook", events=["OrderPlaced"]).id)


def add_choice(world: World) -> None:
    """An order paid and cancelled, so money is owed back (refunds)."""
    from fillrate.orders.services import LineInput
    from fillrate.workflows.cancel_order import cancel_order
    from fillrate.workflows.payments import pay_order
    from fillrate.workflows.place_order import place_order

    paid = place_order(customer=world.customer, lines=[LineInput(world.sku, 1,
                                                                 Decimal("3.00"))]).order
    pay_order(number=paid.number)
    cancel_order(number=paid.number)
    world.credited_order = paid.number


def add_fulfilment(world: World, stock) -> None:
    """A backorder with allocated stock, a queued and a dispatched fulfillment."""
    from fillrate.orders.services import LineInput
    from fillrate.workflows.dispatch import dispatch_fulfillment
    from fillrate.workflows.fulfil import fulfil_order
    from fillrate.workflows.place_order import place_order
    from tests.factories import ProductFactory
    from tests.orders.support import allocate_to_backorder

    bo_product = ProductFactory(sku="WORLD-BO")
    (ready,) = place_order(customer=world.customer,
                           lines=[LineInput(bo_product.sku, 2)]).backorders
    stock(bo_product, 2)
    allocate_to_backorder(ready.number, bo_product.sku, 2)
    queued, shipped = (
        fulfil_order(number=place_order(customer=world.customer,
                                        lines=[LineInput(world.sku, 1)]).order.number)
        for _ in range(2))
    dispatch_fulfillment(number=shipped.number)
    world.ready_backorder, world.fulfillment, world.dispatched = (
        ready.number, queued.number, shipped.number)
    world.invoice = shipped.invoice.number


def add_floor(world: World) -> None:
    """Totes, an open run, a done run with a picked fulfillment in a tote,
    an open issue and a held fulfillment (1 unit of `sku` each)."""
    from fillrate.orders.services import LineInput
    from fillrate.picking.services import (
        create_pick_run,
        hold_fulfillment,
        mark_missing,
        record_pick,
    )
    from fillrate.picking.totes import create_tote
    from fillrate.workflows.fulfil import fulfil_order
    from fillrate.workflows.place_order import place_order

    def one() -> str:
        return fulfil_order(number=place_order(
            customer=world.customer, lines=[LineInput(world.sku, 1)]).order.number).number

    world.tote = create_tote(code="WORLD-T1").code
    world.packable_tote = create_tote(code="WORLD-T2").code
    world.run_fulfillment = one()
    world.run = create_pick_run(fulfillments=[world.run_fulfillment]).number
    world.picked_fulfillment = one()
    world.picked_run = create_pick_run(fulfillments=[world.picked_fulfillment]).number
    record_pick(run=world.picked_run, fulfillment=world.picked_fulfillment, sku=world.sku,
                location="A-01", quantity=1, tote=world.packable_tote)
    world.issue = mark_missing(fulfillment=one(), sku=world.sku, quantity=1,
                               location="A-01").number
    world.held_fulfillment = one()
    hold_fulfillment(number=world.held_fulfillment, reason="address check")


# (resource, path parameter) -> value of an existing object; an operation id
# overrides it where one endpoint needs an object in a particular state.
PATH_VALUES: dict[tuple[str, str] | str, Callable[[World], str]] = {
    ("products", "sku"): lambda w: w.sku,
    ("customers", "code"): lambda w: w.customer,
    ("orders", "number"): lambda w: w.order,
    ("backorders", "number"): lambda w: w.backorder,
    "POST /orders/{number}/release": lambda w: w.held,
    "POST /orders/{number}/resolve-oversold": lambda w: w.oversold,
    "POST /orders/{number}/refunds": lambda w: w.credited_order,
    ("purchase-orders", "number"): lambda w: w.purchase_order,
    "POST /purchase-orders/{number}/order": lambda w: w.draft_purchase_order,
    "POST /backorders/{number}/fulfil": lambda w: w.ready_backorder,
    ("fulfillments", "number"): lambda w: w.fulfillment,
    "POST /fulfillments/{number}/deliver": lambda w: w.dispatched,
    ("invoices", "number"): lambda w: w.invoice,
    ("warehouses", "code"): lambda w: "MAIN",
    ("locations", "warehouse"): lambda w: "MAIN",
    ("locations", "code"): lambda w: "RECV-WORLD",
    ("sales-reps", "code"): lambda w: w.sales_rep,
    ("suppliers", "code"): lambda w: w.supplier,
    ("imports", "kind"): lambda w: "products",
    ("pick-runs", "number"): lambda w: w.run,
    "DELETE /pick-runs/{number}/picks/last": lambda w: w.picked_run,
    ("totes", "code"): lambda w: w.tote,
    "POST /totes/{code}/pack": lambda w: w.packable_tote,
    ("issues", "number"): lambda w: w.issue,
    "POST /fulfillments/{number}/release": lambda w: w.held_fulfillment,
    "POST /fulfillments/{number}/missing": lambda w: w.run_fulfillment,
    "POST /fulfillments/{number}/pack": lambda w: w.picked_fulfillment,
    ("webhooks", "webhook_id"): lambda w: w.webhook,
    ("notification-preferences", "code"): lambda w: w.customer,
}

_serial = itertools.count()

# A body that succeeds for an allowed role, so that a refused role sending the
# same body shows the refusal came before any effect.
BODIES: dict[str, Callable[[World], Any]] = {
    "POST /products": lambda w: {"sku": f"NEW-{next(_serial)}", "name": "New thing",
                                 "list_price": "5.00"},
    "POST /customers": lambda w: {"code": f"NEW-C-{next(_serial)}", "name": "New customer",
                                  "sales_rep": w.sales_rep},
    "POST /stock/adjustments": lambda w: {"sku": w.sku, "quantity": 1, "reason": "found"},
    "POST /orders": lambda w: {"customer": w.customer, "lines": [{"sku": w.sku, "quantity": 1}]},
    "POST /orders/{number}/backorder": lambda w: {"lines": [{"line": w.order_line,
                                                             "quantity": 1}]},
    "POST /orders/{number}/cancel": lambda w: {"notes": "changed their mind"},
    "POST /orders/{number}/resolve-oversold": lambda w: {"action": "backorder"},
    "POST /orders/{number}/hold": lambda w: None,
    "POST /orders/{number}/release": lambda w: None,
    "POST /orders/{number}/payments": lambda w: {},
    "POST /orders/{number}/refunds": lambda w: {"amount": "0.01", "method": "card"},
    "PATCH /backorders/{number}": lambda w: {"priority": "high"},
    "POST /backorders/{number}/cancel": lambda w: {"reason": "customer_requested"},
    "POST /backorders/{number}/communications": lambda w: {"method": "phone",
                                                           "summary": "called"},
    "POST /backorders/{number}/substitute": lambda w: {"lines": [{
        "sku": "WORLD-SHORT", "substitute_sku": w.sku, "quantity": 1}]},
    "PATCH /settings": lambda w: {"notify_customers": False},
    "PATCH /products/{sku}": lambda w: {"list_price": "12.50"},
    "POST /products/{sku}/discontinue": lambda w: {"cancel_backorders": True},
    "PATCH /customers/{code}": lambda w: {"phone": "555 0100"},
    "PATCH /suppliers/{code}": lambda w: {"lead_time_days": 9},
    "POST /backorders/{number}/fulfil": lambda w: {},
    "POST /backorders/fulfil-by-product": lambda w: {"sku": "WORLD-BO"},
    "POST /orders/{number}/fulfil": lambda w: None,
    "POST /fulfillments/{number}/dispatch": lambda w: {"carrier": "DHL",
                                                       "tracking_number": "JD0001"},
    "POST /fulfillments/{number}/cancel": lambda w: None,
    "POST /fulfillments/{number}/deliver": lambda w: None,
    "POST /suppliers": lambda w: {"code": f"SUP-{next(_serial)}", "name": "New supplier",
                                  "lead_time_days": 3},
    "POST /purchase-orders": lambda w: {"supplier": w.supplier,
                                        "lines": [{"sku": w.sku, "quantity": 4}]},
    "PATCH /purchase-orders/{number}": lambda w: {"expected_date": "2031-01-15"},
    "POST /purchase-orders/{number}/order": lambda w: None,
    "POST /purchase-orders/{number}/cancel": lambda w: {"reason": "supplier out of stock"},
    "POST /purchase-orders/{number}/receipts": lambda w: {"lines": [{"sku": w.sku,
                                                                     "quantity": 2}]},
    "POST /warehouses": lambda w: {"code": f"WH-{next(_serial)}", "name": "Overflow"},
    "PATCH /warehouses/{code}": lambda w: {"name": "Main building"},
    "POST /locations": lambda w: {"warehouse": "MAIN", "code": f"NEW-L-{next(_serial)}",
                                  "kind": "bulk", "pick_sequence": 500},
    "PATCH /locations/{warehouse}/{code}": lambda w: {"zone": "DOCK", "pick_sequence": 950},
    "POST /sales-reps": lambda w: {"code": f"REP-{next(_serial)}", "name": "New rep",
                                   "email": "new.rep@example.com"},
    "PATCH /sales-reps/{code}": lambda w: {"email": "world.rep@example.com"},
    "POST /fulfillments/{number}/hold": lambda w: {"reason": "address check"},
    "POST /fulfillments/{number}/release": lambda w: None,
    "POST /pick-runs": lambda w: {"fulfillments": [w.fulfillment]},
    "POST /pick-runs/{number}/picks": lambda w: {"fulfillment": w.run_fulfillment,
                                                 "sku": w.sku, "location": "A-01",
                                                 "quantity": 1, "tote": w.tote},
    "DELETE /pick-runs/{number}/picks/last": lambda w: None,
    "POST /pick-runs/{number}/cancel": lambda w: None,
    "POST /totes": lambda w: {"code": f"T-{next(_serial)}"},
    "POST /totes/{code}/pack": lambda w: None,
    "POST /fulfillments/{number}/pack": lambda w: None,
    "POST /fulfillments/dispatch": lambda w: {"fulfillments": [w.fulfillment],
                                              "carrier": "DHL"},
    "POST /fulfillments/{number}/missing": lambda w: {"sku": w.sku, "quantity": 1,
                                                      "location": "A-01"},
    "POST /issues/{number}/resolve": lambda w: {"action": "split"},
    "POST /webhooks": lambda w: {"url": "https://example.com/hooks/fillrate",
                                 "events": ["BackorderOpened", "OrderShipped"]},
    "DELETE /webhooks/{webhook_id}": lambda w: None,
    "PUT /notification-preferences/{code}": lambda w: {"notifications": "none"},
    # bytes go as text/csv
    "POST /imports/{kind}": lambda w: f"sku,name,list_price\r\nIMP-{next(_serial)},"
                                      "Imported,2.50\r\n".encode(),
}


def url_for(op: Op, world: World) -> str:
    def fill(match: re.Match) -> str:
        name = match.group(1)
        value = PATH_VALUES.get(op.id) or PATH_VALUES.get((op.resource, name))
        if value is None:
            pytest.fail(f"{op.id}: add a value for path parameter {name!r} to "
                        "tests/api_surface.py PATH_VALUES")
        return value(world)

    return PREFIX + re.sub(r"\{(?:\w+:)?(\w+)\}", fill, op.path)


def send(client: Client, op: Op, world: World, headers: dict[str, str]):
    url = url_for(op, world)
    if not op.writes:
        return client.generic(op.method, url, headers=headers)
    body = BODIES[op.id](world) if op.id in BODIES else {}
    if isinstance(body, bytes):
        return client.generic(op.method, url, body, content_type="text/csv", headers=headers)
    data = b"" if body is None else json.dumps(body)
    return client.generic(op.method, url, data, content_type="application/json",
                          headers=headers)

"""Who may do what: the one permission matrix (the README shows it as a table).

Every API endpoint and web view names one permission from `MATRIX`; the role
of the acting user either has it or the request is refused with 403 and no
effect. Adding a capability means adding its permission here first.
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    ADMINISTRATOR = "administrator"
    SUPERVISOR = "supervisor"
    WAREHOUSE = "warehouse"
    SALES = "sales"


ALL = frozenset(Role)
A, S, W, SA = Role.ADMINISTRATOR, Role.SUPERVISOR, Role.WAREHOUSE, Role.SALES

MATRIX: dict[str, tuple[str, frozenset[Role]]] = {
    "catalog.view": ("read products and their stock figures", ALL),
    "catalog.manage": ("create and change products", frozenset({A, S})),
    "customers.view": ("read customers", ALL),
    "customers.manage": ("create and change customers", frozenset({A, S, SA})),
    "stock.view": ("read stock levels, locations and movements", ALL),
    "stock.adjust": ("adjust on-hand stock (count, damaged, found, correction)",
                     frozenset({A, S, W})),
    "reference.view": ("read warehouses, locations and sales reps", ALL),
    "reference.manage": ("create and change warehouses, locations and sales reps",
                         frozenset({A, S})),
    "orders.view": ("read orders, the oversold list", ALL),
    "orders.place": ("place orders", frozenset({A, S, SA})),
    "orders.manage": ("cancel, hold, release, split orders; record payments and refunds",
                      frozenset({A, S, SA})),
    "orders.fulfil": ("turn an order's allocated stock into a fulfillment", frozenset({A, S, W})),
    "backorders.view": ("read backorders; copy the customer's choice link", ALL),
    "backorders.manage": ("edit, cancel, substitute backorders; log customer communication",
                          frozenset({A, S, SA})),
    "backorders.fulfil": ("fulfil backorders' allocated stock, one or by product",
                          frozenset({A, S, W})),
    "purchasing.view": ("read suppliers, purchase orders and receipts", ALL),
    "purchasing.manage": ("add suppliers; create, order, re-date and cancel purchase orders",
                          frozenset({A, S})),
    "purchasing.receive": ("receive purchase orders into stock", frozenset({A, S, W})),
    "fulfilment.view": ("read fulfillments", ALL),
    "fulfilment.manage": ("dispatch, deliver and cancel fulfillments", frozenset({A, S, W})),
    "invoices.view": ("read invoices and credits, export them as CSV", ALL),
    "settings.view": ("read business settings", ALL),
    "settings.change": ("change business settings", frozenset({A})),
    "events.view": ("read the audit feed", frozenset({A, S})),
    "imports.run": ("import CSV files of products, customers, sales reps, locations, stock, "
                    "suppliers, orders and purchase orders", frozenset({A, S})),
    "users.manage": ("add users, change roles, deactivate users; issue or revoke anyone's "
                     "API tokens", frozenset({A})),
    # The warehouse floor
    "picking.view": ("read the pick queue, pick runs, totes and the issues wall", ALL),
    "picking.pick": ("start and cancel pick runs, scan picks and undo them, mark items "
                     "missing, make totes, pack", frozenset({A, S, W})),
    "picking.hold": ("hold and release fulfillments in the pick queue", frozenset({A, S})),
    "picking.resolve": ("decide issues on the issues wall: found, cancel, split, wait",
                        frozenset({A, S})),
    # customer notifications and webhooks (fillrate.comms)
    "notifications.view": ("read the customer email outbox: sent, waiting and failed", ALL),
    "notifications.manage": ("retry failed customer emails", frozenset({A, S, SA})),
    "webhooks.view": ("read webhooks and their deliveries", ALL),
    "webhooks.manage": ("subscribe and delete webhooks; retry their deliveries",
                        frozenset({A, S})),
}


class UnknownPermission(KeyError):
    pass


def roles_with(permission: str) -> frozenset[Role]:
    try:
        return MATRIX[permission][1]
    except KeyError:
        raise UnknownPermission(permission) from None


def has_permission(role: str, permission: str) -> bool:
    return role in roles_with(permission)

"""The navigation bar lists only sections that exist and the user may see."""

from __future__ import annotations

from django.http import HttpRequest
from django.urls import reverse
from django.utils.functional import SimpleLazyObject

from fillrate.core.business import business_settings

SECTIONS = [
    ("Dashboard", "web:dashboard", "backorders.view"),
    ("Products", "web:products", "catalog.view"),
    ("Customers", "web:customers", "customers.view"),
    ("Adjust stock", "web:adjust_stock", "stock.adjust"),
    ("Orders", "web:orders", "orders.view"),
    ("Backorders", "web:backorders", "backorders.view"),
    ("Oversold", "web:oversold", "orders.view"),
    ("Fulfil", "web:fulfil", "backorders.fulfil"),
    ("Fulfillments", "web:fulfillments", "fulfilment.view"),
    ("Invoices", "web:invoices", "invoices.view"),
    # the warehouse floor
    ("Scan", "web:scan_home", "picking.pick"),
    ("Pick queue", "web:pick_queue", "picking.pick"),
    ("Pick runs", "web:pick_runs", "picking.pick"),
    ("Pack", "web:pack", "picking.pick"),
    ("Issues wall", "web:issues", "picking.pick"),
    ("Totes", "web:totes", "picking.pick"),
    ("Purchase orders", "web:purchase_orders", "purchasing.view"),
    ("Suppliers", "web:suppliers", "purchasing.view"),
    ("Locations", "web:locations", "reference.view"),
    ("Sales reps", "web:sales_reps", "reference.view"),
    ("Users", "web:users", "users.manage"),
    ("Import", "web:import", "imports.run"),
    ("Reports", "web:reports", "backorders.view"),
    ("Reorder", "web:reorder", "backorders.view"),
    ("Settings", "web:settings", "settings.view"),
    ("Customer emails", "web:outbox", "notifications.view"),
    ("Webhooks", "web:webhooks", "webhooks.view"),
]


def navigation(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav": []}
    current = request.path
    items = []
    for label, name, permission in SECTIONS:
        if user.can(permission):
            url = reverse(name)
            items.append({"label": label, "url": url, "active": current.startswith(url)})
    return {"nav": items}


def _currency() -> str:
    return business_settings().currency


def business(request: HttpRequest) -> dict:
    """`currency` for the `money` filter, read from the settings only when a
    page shows an amount."""
    return {"currency": SimpleLazyObject(_currency)}

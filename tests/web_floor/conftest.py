"""Logged-in clients per role and the order pages' shop for the floor pages;
invariants checked after each test."""

from __future__ import annotations

from tests.orders.conftest import invariants_hold_after_each_test  # noqa: F401
from tests.web_orders.conftest import (  # noqa: F401
    HTMX,
    PASSWORD,
    admin_web,
    login,
    shop,
    short_order,
)

"""The order fixtures (`store`) and the invariant check after every test."""

from tests.orders.conftest import invariants_hold_after_each_test, store  # noqa: F401

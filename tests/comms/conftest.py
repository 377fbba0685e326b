from tests.orders.conftest import invariants_hold_after_each_test, store  # noqa: F401

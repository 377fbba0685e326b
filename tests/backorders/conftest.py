# The order core's fixtures and its check of the invariants after each test.
from tests.orders.conftest import invariants_hold_after_each_test, store  # noqa: F401

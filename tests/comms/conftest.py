from tests.orders.conftest import invariants_hold_after_each_test, store  # noqa: F401
from tests.web.conftest import admin_web, login  # noqa: F401

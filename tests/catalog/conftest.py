# Invariants (and the ledger) are checked after every catalog test too; the
# staff pages' logged-in clients come from the web tests.
from tests.orders.conftest import invariants_hold_after_each_test  # noqa: F401
from tests.web.conftest import admin_web, login  # noqa: F401

from types import SimpleNamespace

import pytest

# Invariants (and the ledger) are checked after every purchasing test too.
from tests.orders.conftest import invariants_hold_after_each_test  # noqa: E402, F401


@pytest.fixture
def receiving_location(db):
    from tests.factories import LocationFactory

    return LocationFactory(code="RECV", kind="receiving", pick_sequence=900)


@pytest.fixture
def buying(stock, receiving_location):
    """Supplier ACME-SUP (lead time 10 days); WIDGET: 4 on hand at A-01;
    GADGET: none; customer C-ACME; the RECV receiving location."""
    from fillrate.purchasing.services import create_supplier
    from tests.factories import CustomerFactory, ProductFactory

    return SimpleNamespace(
        supplier=create_supplier(code="ACME-SUP", name="Acme Supplies",
                                 email="orders@acme.test", lead_time_days=10),
        widget=stock(ProductFactory(sku="WIDGET", list_price="4.00"), 4),
        gadget=ProductFactory(sku="GADGET", list_price="10.00"),
        customer=CustomerFactory(code="C-ACME"),
        receiving=receiving_location,
    )

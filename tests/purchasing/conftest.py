from types import SimpleNamespace

import pytest


@pytest.fixture(autouse=True)
def invariants_hold_after_each_test(request):
    """Invariants 1 and 2 (and the ledger) are checked after every
    purchasing test that touches the database."""
    uses_db = (bool({"db", "transactional_db"} & set(request.fixturenames))
               or request.node.get_closest_marker("django_db") is not None)
    if uses_db:
        request.getfixturevalue("_django_db_helper")
    yield
    if uses_db:
        from fillrate.workflows.invariants import all_problems

        assert all_problems() == []


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

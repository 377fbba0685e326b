import pytest


@pytest.fixture(autouse=True)
def invariants_hold_after_each_test(request):
    """Invariants 1 and 2 are checked after every order and backorder test
    that touches the database."""
    uses_db = (bool({"db", "transactional_db"} & set(request.fixturenames))
               or request.node.get_closest_marker("django_db") is not None)
    if uses_db:
        # Set up after the database so the check runs before it is torn down.
        request.getfixturevalue("_django_db_helper")
    yield
    if uses_db:
        from fillrate.workflows.invariants import all_problems

        assert all_problems() == []


@pytest.fixture
def store(stock, bulk_location):
    """Customer C-ACME (rep REP-1) and C-VIP (vip); WIDGET: 15 at A-01 and 5 at
    B-01, list price 4.00; GADGET: 3 at A-01, 10.00; BOLT: no stock, 1.50."""
    from types import SimpleNamespace

    from tests.factories import CustomerFactory, ProductFactory, SalesRepFactory

    rep = SalesRepFactory(code="REP-1")
    widget = stock(ProductFactory(sku="WIDGET", list_price="4.00"), 15)
    stock(widget, 5, location=bulk_location)
    return SimpleNamespace(
        customer=CustomerFactory(code="C-ACME", sales_rep=rep),
        vip=CustomerFactory(code="C-VIP", vip=True),
        rep=rep,
        widget=widget,
        gadget=stock(ProductFactory(sku="GADGET", list_price="10.00"), 3),
        bolt=ProductFactory(sku="BOLT", list_price="1.50"),
        bulk=bulk_location,
    )

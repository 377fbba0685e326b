import pytest

from tests.orders.conftest import store  # noqa: F401


@pytest.fixture(autouse=True)
def invariants_hold_after_each_test(request):
    """Invariants 1-3 and the promises are checked after every workflow test
    that touches the database (`fillrate check`'s own checks)."""
    uses_db = (bool({"db", "transactional_db"} & set(request.fixturenames))
               or request.node.get_closest_marker("django_db") is not None)
    if uses_db:
        request.getfixturevalue("_django_db_helper")
    yield
    if uses_db:
        from fillrate.workflows.invariants import all_problems

        assert all_problems() == []

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

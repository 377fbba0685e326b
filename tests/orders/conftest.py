import pytest


@pytest.fixture(autouse=True)
def invariants_hold_after_each_test(request):
    """Invariants 1 and 2 are checked after every order and backorder test."""
    yield
    if "db" not in request.fixturenames and "transactional_db" not in request.fixturenames \
            and not request.node.get_closest_marker("django_db"):
        return
    from fillrate.workflows.invariants import all_problems

    assert all_problems() == []

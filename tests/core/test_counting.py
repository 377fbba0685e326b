"""List counts on large tables (`fillrate.core.counting`): exact while the
table is small or the matches few, the planner's estimate past that."""

from __future__ import annotations

import pytest

from fillrate.catalog.models import Product
from fillrate.core import counting
from fillrate.core.counting import Counted, count_rows, estimated_counts
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def products():
    for i in range(12):
        ProductFactory(sku=f"P-{i:02d}", discontinued=i % 3 == 0)


def test_a_small_table_counts_exactly(products):
    assert count_rows(Product.objects.filter(discontinued=True)) == Counted(4)
    assert estimated_counts(Product.objects.all(), "discontinued", [True, False]) == {
        True: Counted(4), False: Counted(8)}


def test_the_words_for_a_count():
    assert str(Counted(1234)) == "1,234"
    assert str(Counted(1234, exact=False)) == "about 1,234"


@pytest.mark.postgres
def test_a_large_table_counts_up_to_the_cap_then_estimates(products, monkeypatch):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {Product._meta.db_table}")
    monkeypatch.setattr(counting, "LARGE_TABLE", 0)
    # Within the cap: counted, exact.
    assert count_rows(Product.objects.filter(discontinued=True), cap=5) == Counted(4)
    # Past it: at least cap + 1, flagged as an estimate.
    past = count_rows(Product.objects.all(), cap=5)
    assert not past.exact and past.n >= 6
    by_flag = estimated_counts(Product.objects.all(), "discontinued", [True, False])
    assert all(not c.exact and c.n >= 1 for c in by_flag.values())

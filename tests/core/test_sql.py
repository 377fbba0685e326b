"""The hot-path SQL helpers: WriteBatch resolves ids across steps the same way
on SQLite (step by step) and PostgreSQL (one statement)."""

from __future__ import annotations

import pytest
from django.db import connection, transaction

from fillrate.core.models import Event
from fillrate.core.numbers import format_number
from fillrate.core.sql import NumberOf, Ref, WriteBatch, add_to_column, insert_instances, number_sql
from fillrate.inventory.models import StockLevel
from tests.factories import LocationFactory, ProductFactory

pytestmark = pytest.mark.django_db


def test_insert_instances_gives_primary_keys_in_row_order():
    events = [Event(type="Tested", subject_type="test", subject=f"T-{i}") for i in range(3)]
    with transaction.atomic():
        insert_instances(events)
    assert [e.pk for e in events] == sorted(e.pk for e in events)
    assert list(Event.objects.filter(pk__in=[e.pk for e in events]).order_by("pk")
                .values_list("subject", flat=True)) == ["T-0", "T-1", "T-2"]


def test_write_batch_resolves_refs_and_numbers_and_adds():
    product = ProductFactory()
    levels = [StockLevel.objects.create(product=product, location=LocationFactory(),
                                        on_hand=10) for _ in range(2)]
    first = [Event(type="First", subject_type="test", subject=f"F-{i}") for i in range(3)]
    second = [Event(type="Second", subject_type="test", subject="") for _ in range(2)]
    with transaction.atomic():
        batch = WriteBatch()
        batch.insert("first", first)
        batch.insert("second", second, refs=[
            {"subject": NumberOf(Ref("first", 2), "EV")},
            {"subject": NumberOf(Ref("first", 0), "EV")}])
        batch.add(StockLevel, "allocated", {levels[0].id: 3, levels[1].id: 0})
        batch.run()
    assert all(e.pk for e in first + second)
    stored = dict(Event.objects.filter(type="Second").values_list("pk", "subject"))
    assert stored == {second[0].pk: format_number("EV", first[2].pk),
                      second[1].pk: format_number("EV", first[0].pk)}
    assert second[0].subject == format_number("EV", first[2].pk)
    assert [lv.allocated for lv in StockLevel.objects.order_by("id")] == [3, 0]


def test_add_to_column_skips_zero_deltas_and_touches_only_named_rows():
    product = ProductFactory()
    a, b, c = (StockLevel.objects.create(product=product, location=LocationFactory(),
                                         on_hand=10) for _ in range(3))
    add_to_column(StockLevel, "allocated", {a.id: 2, b.id: 0})
    assert dict(StockLevel.objects.values_list("id", "allocated")) == {a.id: 2, b.id: 0,
                                                                       c.id: 0}


@pytest.mark.postgres
@pytest.mark.parametrize("pk", [1, 42, 999_999, 1_000_000, 123_456_789])
def test_number_sql_formats_as_format_number(pk):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {number_sql('BO', 'x.id')} FROM (SELECT %s::bigint AS id) x",
                       [pk])
        assert cursor.fetchone()[0] == format_number("BO", pk)

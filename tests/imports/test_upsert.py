"""The two paths of `fillrate.core.upsert` give the same rows and counts:
the portable one everywhere, and on PostgreSQL against the set-based one."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import transaction

from fillrate.catalog.models import Product
from fillrate.core.upsert import (
    Upserted,
    set_based,
    upsert,
    upsert_on_conflict,
    upsert_portable,
)
from fillrate.inventory.models import Location
from tests.factories import LocationFactory, ProductFactory

FIELDS = ["name", "list_price", "discontinued"]


def rows(n: int, *, price: str) -> list[dict]:
    return [{"sku": f"U-{i:03d}", "name": f"Thing {i}", "list_price": Decimal(price),
             "discontinued": i % 2 == 0} for i in range(n)]


def state() -> list[tuple]:
    return list(Product.objects.order_by("sku").values_list("sku", *FIELDS))


def _seed() -> None:
    ProductFactory(sku="U-000", name="Thing 0", list_price=Decimal("1.00"), discontinued=True)
    ProductFactory(sku="U-001", name="Old", list_price=Decimal("1.00"))
    ProductFactory(sku="OTHER", name="Untouched")


def test_the_portable_path(db):
    _seed()
    done = upsert_portable(Product, keys=["sku"], fields=FIELDS, rows=rows(4, price="1.00"))
    assert (done.created, done.updated) == (2, 1)  # U-000 is unchanged
    assert Product.objects.get(sku="U-001").name == "Thing 1"
    assert Product.objects.get(sku="OTHER").name == "Untouched"
    again = upsert_portable(Product, keys=["sku"], fields=FIELDS, rows=rows(4, price="1.00"))
    assert (again.created, again.updated) == (0, 0)


def test_the_path_is_chosen_by_the_database(db, on_postgres):
    assert set_based() is on_postgres
    assert upsert(Product, keys=["sku"], fields=FIELDS, rows=[]) == Upserted(0, 0)


@pytest.mark.postgres
@pytest.mark.parametrize("price", ["1.00", "2.50"])
def test_both_paths_agree_on_postgres(db, price):
    results = {}
    for name, path in (("portable", upsert_portable), ("on_conflict", upsert_on_conflict)):
        sid = transaction.savepoint()
        _seed()
        first = path(Product, keys=["sku"], fields=FIELDS, rows=rows(5, price=price))
        second = path(Product, keys=["sku"], fields=FIELDS,
                      rows=rows(3, price="9.99") + rows(6, price=price)[3:])
        results[name] = (first, second, state())
        transaction.savepoint_rollback(sid)
    assert results["portable"] == results["on_conflict"]


@pytest.mark.postgres
def test_both_paths_agree_on_a_composite_key(db):
    results = {}
    for name, path in (("portable", upsert_portable), ("on_conflict", upsert_on_conflict)):
        sid = transaction.savepoint()
        a = LocationFactory(code="A-01", kind="pick", pick_sequence=1)
        data = [{"warehouse_id": a.warehouse_id, "code": code, "name": code.lower(),
                 "kind": "bulk", "pick_sequence": 5, "zone": "", "active": True}
                for code in ("A-01", "B-01")]
        done = path(Location, keys=["warehouse_id", "code"],
                    fields=["name", "kind", "pick_sequence", "zone", "active"], rows=data)
        results[name] = (done, list(Location.objects.order_by("code").values_list(
            "code", "name", "kind", "pick_sequence")))
        transaction.savepoint_rollback(sid)
    assert results["portable"] == results["on_conflict"]
    assert results["portable"][0] == Upserted(1, 1)

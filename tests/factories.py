"""factory-boy factories for test data. Stock goes in through the service so
the ledger stays true; use `stock(...)` rather than writing StockLevel rows."""

from __future__ import annotations

from decimal import Decimal

import factory

from fillrate.catalog.models import Product
from fillrate.customers.models import Customer, SalesRep
from fillrate.inventory.models import Location, Warehouse


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    sku = factory.Sequence(lambda n: f"SKU-{n:04d}")
    name = factory.Sequence(lambda n: f"Product {n}")
    list_price = Decimal("10.00")


class SalesRepFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SalesRep

    code = factory.Sequence(lambda n: f"REP-{n}")
    name = factory.Sequence(lambda n: f"Rep {n}")


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    code = factory.Sequence(lambda n: f"C-{n:04d}")
    name = factory.Sequence(lambda n: f"Customer {n}")
    email = factory.LazyAttribute(lambda c: f"{c.code.lower()}@example.com")


class WarehouseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Warehouse
        django_get_or_create = ("code",)

    code = "MAIN"
    name = "Main warehouse"


class LocationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Location
        django_get_or_create = ("warehouse", "code")

    warehouse = factory.SubFactory(WarehouseFactory)
    code = factory.Sequence(lambda n: f"L-{n:03d}")
    kind = "pick"
    pick_sequence = factory.Sequence(lambda n: n * 10)

"""Shared fixtures: users with roles, API clients with tokens, a small warehouse."""

from __future__ import annotations

import os
from dataclasses import dataclass

import pytest
from django.db import connection
from django.test import Client

from fillrate.accounts.permissions import Role
from fillrate.accounts.services import add_user, issue_token
from fillrate.inventory.services import adjust_stock
from tests.factories import LocationFactory, ProductFactory

# Playwright's sync API runs an event loop in the test thread; Django's ORM
# refuses to run there unless told it is safe (it is: nothing is async here).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_collection_modifyitems(config, items):
    from django.conf import settings

    on_postgres = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
    skip_pg = pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL); SQLite shows no race")
    for item in items:
        if "postgres" in item.keywords and not on_postgres:
            item.add_marker(skip_pg)


@pytest.fixture(autouse=True)
def _no_default_warehouse(request):
    """Tests start with no warehouse at all and build the places they need
    with factories. A migrated database has the default warehouse MAIN
    (inventory migration 0003), but a transactional test's flush removes it
    for the tests after it, so it is taken out here for every test alike;
    `default_warehouse` puts it back the way the migration makes it."""
    uses_db = (bool({"db", "transactional_db"} & set(request.fixturenames))
               or request.node.get_closest_marker("django_db") is not None)
    if uses_db:
        request.getfixturevalue("_django_db_helper")
        from fillrate.inventory.models import Location, StockLevel, Warehouse

        if not StockLevel.objects.exists():
            Location.objects.all().delete()
            Warehouse.objects.all().delete()


@pytest.fixture
def default_warehouse(db):
    """Warehouse MAIN with PICK, RECV and ISSUES, made by the migration's own
    function, as on a fresh install."""
    import importlib
    from types import SimpleNamespace

    from django.apps import apps

    from fillrate.inventory.models import Warehouse

    migration = importlib.import_module("fillrate.inventory.migrations.0003_default_warehouse")
    migration.create_default_warehouse(apps, SimpleNamespace(connection=connection))
    return Warehouse.objects.get(code="MAIN")


def pytest_configure(config):
    """On PostgreSQL the tests do not wait for each commit to reach the disk
    (`synchronous_commit=off`: what is committed is seen at once, as always;
    only a crash of the server could lose the last moments, which a test
    database can afford). The service itself keeps the server's setting."""
    from django.conf import settings

    database = settings.DATABASES["default"]
    if "postgresql" in database["ENGINE"]:
        options = database.setdefault("OPTIONS", {})
        options["options"] = f"{options.get('options', '')} -c synchronous_commit=off".strip()


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """PBKDF2 costs ~0.5 s per user; MD5 first keeps the suite fast, PBKDF2
    second still checks passwords hashed before the switch."""
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.MD5PasswordHasher",
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    ]


@dataclass
class ApiClient:
    """A Django test client that sends a bearer token and JSON."""

    client: Client
    token: str
    username: str

    def _headers(self, headers: dict | None) -> dict:
        out = {"Authorization": f"Bearer {self.token}"}
        out.update(headers or {})
        return out

    def get(self, path: str, params: dict | None = None, headers: dict | None = None):
        return self.client.get(path, params or {}, headers=self._headers(headers))

    def post(self, path: str, body=None, headers: dict | None = None, raw: str | None = None):
        import json

        data = raw if raw is not None else json.dumps(body if body is not None else {})
        return self.client.post(path, data, content_type="application/json",
                                headers=self._headers(headers))

    def patch(self, path: str, body=None, headers: dict | None = None):
        import json

        return self.client.patch(path, json.dumps(body or {}), content_type="application/json",
                                 headers=self._headers(headers))


@pytest.fixture
def make_api(db):
    made: dict[str, ApiClient] = {}

    def make(role: str = Role.ADMINISTRATOR, username: str | None = None) -> ApiClient:
        name = username or f"{role}-user"
        if name not in made:
            add_user(username=name, role=role, password="correct-horse-9")
            made[name] = ApiClient(Client(), issue_token(username=name).token, name)
        return made[name]

    return make


@pytest.fixture
def api(make_api) -> ApiClient:
    """An administrator's API client."""
    return make_api(Role.ADMINISTRATOR)


@pytest.fixture
def pick_location(db):
    return LocationFactory(code="A-01", kind="pick", pick_sequence=10)


@pytest.fixture
def bulk_location(db):
    return LocationFactory(code="B-01", kind="bulk", pick_sequence=100)


@pytest.fixture
def issues_location(db):
    return LocationFactory(code="ISSUES", kind="issues", pick_sequence=999)


@pytest.fixture
def stock(pick_location):
    """`stock(sku_or_product, qty, location=None)`: put stock in through the ledger."""

    def put(product=None, quantity: int = 10, location=None, **product_fields):
        if product is None:
            product = ProductFactory(**product_fields)
        loc = location or pick_location
        if quantity:
            adjust_stock(product_id=product.id, location_id=loc.id, quantity=quantity,
                         reason="count")
        return product

    return put


@pytest.fixture
def on_postgres() -> bool:
    return connection.vendor == "postgresql"

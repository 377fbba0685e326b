"""The role matrix over every operation of the API, found by walking the
routers (see tests/api_surface.py), so a new endpoint is covered, or fails
here, the day it is added."""

from __future__ import annotations

import pytest
from django.test import Client

from fillrate.accounts.models import User
from fillrate.accounts.permissions import MATRIX, Role, roles_with
from fillrate.accounts.services import add_user, issue_token, revoke_token
from fillrate.api.auth import Permission
from fillrate.core.models import Event
from fillrate.inventory.models import StockMovement
from tests.api_surface import BODIES, OPERATIONS, PREFIX, build_world, send
from tests.helpers import assert_error, db_state

# The permission domain each resource's endpoints belong to: reads need its
# `.view`, writes one of its other permissions.
RESOURCE_DOMAIN = {
    "products": "catalog",
    "customers": "customers",
    "stock": "stock",
    "locations": "reference",
    "warehouses": "reference",
    "sales-reps": "reference",
    "orders": "orders",
    "backorders": "backorders",
    # the warehouse floor's steps of a fulfillment (missing, pack, hold) are picking's
    "fulfillments": ("fulfilment", "picking"),
    "invoices": "invoices",
    "credits": "invoices",
    "suppliers": "purchasing",
    "purchase-orders": "purchasing",
    "settings": "settings",
    "events": "events",
    "imports": "imports",
    "reports": "backorders",  # the reports are read with backorders.view (issue 16)
    "pick-queue": "picking",
    "pick-runs": "picking",
    "totes": "picking",
    "issues": "picking",
    "webhooks": "webhooks",
    "notification-preferences": "notifications",
}


@pytest.fixture
def world(stock):
    return build_world(stock)


def test_the_walk_finds_the_operations():
    ids = {op.id for op in OPERATIONS}
    assert {"POST /stock/adjustments", "GET /products/{sku}", "GET /events"} <= ids
    assert len(ids) == len(OPERATIONS), "an operation was listed twice"


@pytest.mark.parametrize("op", OPERATIONS, ids=lambda op: op.id)
def test_every_endpoint_names_exactly_one_known_permission(op):
    assert len(op.auth) == 1, f"{op.id} must be declared with auth=needs('<permission>')"
    (callback,) = op.auth
    assert isinstance(callback, Permission), f"{op.id} is not guarded by a Permission"
    assert callback.permission in MATRIX


@pytest.mark.parametrize("op", OPERATIONS, ids=lambda op: op.id)
def test_reads_need_a_view_permission_and_writes_a_stronger_one(op):
    (permission,) = op.permissions
    domain = RESOURCE_DOMAIN.get(op.resource)
    assert domain, f"add /{op.resource} to RESOURCE_DOMAIN in {__name__}"
    domains = domain if isinstance(domain, tuple) else (domain,)
    assert permission.split(".")[0] in domains, (op.id, permission)
    assert permission.endswith(".view") != op.writes, (op.id, permission)


def test_write_endpoints_have_a_sample_body():
    missing = [op.id for op in OPERATIONS if op.writes and op.id not in BODIES]
    assert not missing, f"add a body that succeeds to tests/api_surface.py BODIES for {missing}"


@pytest.mark.parametrize("role", list(Role), ids=str)
@pytest.mark.parametrize("op", OPERATIONS, ids=lambda op: op.id)
def test_role_matrix(op, role, make_api, world):
    client = make_api(role)
    (permission,) = op.permissions
    before = db_state()
    events, movements = Event.objects.count(), StockMovement.objects.count()
    response = send(client.client, op, world, {"Authorization": f"Bearer {client.token}"})

    if role in roles_with(permission):
        assert response.status_code not in (401, 403), response.content
        assert 200 <= response.status_code < 300, response.content
    else:
        error = assert_error(response, 403, "auth.forbidden", field=None)
        assert permission in error["message"]
        assert Event.objects.count() == events
        assert StockMovement.objects.count() == movements
        assert db_state() == before


def test_a_refused_write_changes_nothing_even_with_an_idempotency_key(make_api, world):
    sales = make_api(Role.SALES)
    before = StockMovement.objects.count()
    body = {"sku": world.sku, "quantity": 5, "reason": "found"}
    for _ in range(2):
        response = sales.post(f"{PREFIX}/stock/adjustments", body,
                              headers={"Idempotency-Key": "refused-1"})
        assert_error(response, 403, "auth.forbidden")
    assert StockMovement.objects.count() == before


def test_permission_is_checked_before_the_body_is_read(make_api, world):
    sales = make_api(Role.SALES)
    for raw in ("{bad", "", '{"sku": 1}'):
        assert_error(sales.post(f"{PREFIX}/stock/adjustments", raw=raw), 403, "auth.forbidden")
        response = Client().post(f"{PREFIX}/stock/adjustments", raw,
                                 content_type="application/json")
        assert_error(response, 401, "auth.unauthenticated")


def _unauthenticated(response) -> None:
    assert_error(response, 401, "auth.unauthenticated", field=None)
    assert response["WWW-Authenticate"] == "Bearer"


@pytest.mark.parametrize("op", OPERATIONS, ids=lambda op: op.id)
def test_every_endpoint_refuses_missing_bad_and_revoked_tokens(op, world):
    add_user(username="revoked-user", role=Role.ADMINISTRATOR)
    revoked = issue_token(username="revoked-user")
    revoke_token(token_id=revoked.token_id)
    add_user(username="gone-user", role=Role.ADMINISTRATOR)
    inactive = issue_token(username="gone-user")
    User.objects.filter(username="gone-user").update(is_active=False)
    before = db_state()

    client = Client()
    for headers in (
        {},
        {"Authorization": "Bearer fr_not-a-real-token"},
        {"Authorization": "Bearer not-even-our-prefix"},
        {"Authorization": "Bearer "},
        {"Authorization": f"Basic {revoked.token}"},
        {"Authorization": f"Bearer {revoked.token}"},
        {"Authorization": f"Bearer {inactive.token}"},
    ):
        _unauthenticated(send(client, op, world, headers))
    assert db_state() == before


def test_a_token_stops_working_the_moment_it_is_revoked(make_api, world):
    add_user(username="soon-revoked", role=Role.SUPERVISOR)
    issued = issue_token(username="soon-revoked")
    headers = {"Authorization": f"Bearer {issued.token}"}
    assert Client().get(f"{PREFIX}/products", headers=headers).status_code == 200
    revoke_token(token_id=issued.token_id)
    _unauthenticated(Client().get(f"{PREFIX}/products", headers=headers))


def test_the_openapi_document_lists_every_operation(api):
    document = Client().get(f"{PREFIX}/openapi.json").json()
    listed = {
        f"{method.upper()} {path.removeprefix(PREFIX)}"
        for path, methods in document["paths"].items()
        for method in methods
    }
    assert listed == {op.id for op in OPERATIONS}
    for path, methods in document["paths"].items():
        for method, spec in methods.items():
            assert spec.get("security"), f"{method.upper()} {path} shows no security"

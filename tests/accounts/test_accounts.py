"""Users, tokens and the permission matrix."""

from __future__ import annotations

import pytest

from fillrate.accounts.models import ApiToken, User
from fillrate.accounts.permissions import (
    MATRIX,
    Role,
    UnknownPermission,
    has_permission,
    roles_with,
)
from fillrate.accounts.selectors import tokens_of, user_for_token
from fillrate.accounts.services import add_user, issue_token, revoke_token, token_digest
from fillrate.api.auth import Permission, needs
from fillrate.core.errors import Conflict, InvalidValue, NotFound
from fillrate.core.models import Event
from tests.helpers import db_state

# -- the matrix (pure) ---------------------------------------------------------


def test_roles_are_the_four_of_the_contract():
    assert {r.value for r in Role} == {"administrator", "supervisor", "warehouse", "sales"}


@pytest.mark.parametrize("permission", sorted(MATRIX))
def test_every_permission_is_described_and_held_by_known_roles(permission):
    description, roles = MATRIX[permission]
    assert description.strip()
    assert roles and roles <= set(Role)
    assert Role.ADMINISTRATOR in roles
    app, _, action = permission.partition(".")
    assert app and action


def test_every_role_may_read_and_only_administrators_hold_the_keys():
    for permission in MATRIX:
        if permission.endswith(".view") and permission != "events.view":
            assert roles_with(permission) == set(Role), permission
    assert roles_with("users.manage") == {Role.ADMINISTRATOR}
    assert roles_with("settings.change") == {Role.ADMINISTRATOR}
    assert roles_with("events.view") == {Role.ADMINISTRATOR, Role.SUPERVISOR}


def test_each_role_does_its_own_job():
    assert has_permission(Role.WAREHOUSE, "stock.adjust")
    assert not has_permission(Role.SALES, "stock.adjust")
    assert has_permission(Role.SALES, "customers.manage")
    assert not has_permission(Role.WAREHOUSE, "customers.manage")
    assert not has_permission(Role.WAREHOUSE, "catalog.manage")
    assert not has_permission(Role.SALES, "catalog.manage")
    # the supervisor may do everything but manage users and settings
    assert {p for p in MATRIX if not has_permission(Role.SUPERVISOR, p)} == {
        "users.manage", "settings.change"}


def test_has_permission():
    assert has_permission("warehouse", "stock.adjust")
    assert not has_permission("sales", "stock.adjust")
    assert not has_permission("owner", "catalog.view")
    with pytest.raises(UnknownPermission):
        has_permission("administrator", "catalog.destroy")


def test_an_unknown_permission_fails_when_the_endpoint_is_declared():
    with pytest.raises(UnknownPermission):
        Permission("catalog.destroy")
    assert needs("stock.adjust") is needs("stock.adjust")
    assert needs("stock.adjust")[0].permission == "stock.adjust"


def test_user_can(db):
    user = add_user(username="wendy", role=Role.WAREHOUSE)
    assert user.can("stock.adjust") and not user.can("catalog.manage")
    user.is_active = False
    assert not user.can("stock.adjust")


# -- users ---------------------------------------------------------------------

def test_add_user_records_an_event(db):
    user = add_user(username=" alice ", role=Role.SUPERVISOR, password="long-enough-1",
                    email="alice@example.com")
    assert (user.username, user.role, user.is_staff) == ("alice", "supervisor", False)
    event = Event.objects.get(type="UserAdded")
    assert (event.subject, event.payload) == ("alice", {"role": "supervisor"})
    assert add_user(username="root", role=Role.ADMINISTRATOR).is_staff


@pytest.mark.parametrize(
    ("kwargs", "error", "code", "field"),
    [
        ({"username": "", "role": "sales"}, InvalidValue, "accounts.invalid_username",
         "username"),
        ({"username": "   ", "role": "sales"}, InvalidValue, "accounts.invalid_username",
         "username"),
        ({"username": "x", "role": "owner"}, InvalidValue, "accounts.unknown_role", "role"),
        ({"username": "x", "role": "sales", "password": "short"}, InvalidValue,
         "accounts.weak_password", "password"),
        ({"username": "TAKEN", "role": "sales"}, Conflict, "accounts.duplicate_username",
         "username"),
    ],
)
def test_add_user_refusals_change_nothing(db, kwargs, error, code, field):
    add_user(username="taken", role=Role.SALES)
    before = db_state()
    with pytest.raises(error) as exc:
        add_user(**kwargs)
    assert (exc.value.code, exc.value.field) == (code, field)
    assert db_state() == before


# -- tokens --------------------------------------------------------------------

def test_a_token_is_stored_only_as_its_digest(db):
    add_user(username="tom", role=Role.SALES)
    issued = issue_token(username="TOM", name="laptop")
    row = ApiToken.objects.get(id=issued.token_id)
    assert issued.username == "tom"
    assert row.digest == token_digest(issued.token) != issued.token
    assert issued.token.startswith(row.prefix) and len(row.prefix) < len(issued.token)
    assert row.name == "laptop"
    assert user_for_token(issued.token) == User.objects.get(username="tom")
    assert Event.objects.filter(type="ApiTokenIssued", subject="tom").count() == 1


def test_tokens_are_unique(db):
    add_user(username="tom", role=Role.SALES)
    tokens = {issue_token(username="tom").token for _ in range(5)}
    assert len(tokens) == 5
    assert [t.id for t in tokens_of(user_id=User.objects.get().id)] == sorted(
        ApiToken.objects.values_list("id", flat=True), reverse=True)


@pytest.mark.parametrize("token", ["", "fr_", "fr_unknown", "Bearer fr_x", "abc"])
def test_unknown_tokens_belong_to_nobody(db, token):
    assert user_for_token(token) is None


def test_revoked_and_inactive_tokens_belong_to_nobody(db):
    add_user(username="tom", role=Role.SALES)
    issued = issue_token(username="tom")
    revoke_token(token_id=issued.token_id)
    assert user_for_token(issued.token) is None
    assert Event.objects.filter(type="ApiTokenRevoked").count() == 1
    with pytest.raises(Conflict) as exc:
        revoke_token(token_id=issued.token_id)
    assert exc.value.code == "accounts.token_revoked"

    live = issue_token(username="tom")
    User.objects.filter(username="tom").update(is_active=False)
    assert user_for_token(live.token) is None
    with pytest.raises(NotFound):
        issue_token(username="tom")


def test_unknown_users_and_tokens(db):
    with pytest.raises(NotFound) as exc:
        issue_token(username="ghost")
    assert exc.value.code == "accounts.unknown_user"
    with pytest.raises(NotFound) as exc:
        revoke_token(token_id=12345)
    assert exc.value.code == "accounts.unknown_token"

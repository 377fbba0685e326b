"""The users page: administrators only; add, change role, deactivate (which
revokes tokens and ends the session) and reactivate."""

from __future__ import annotations

import pytest
from django.test import Client

from fillrate.accounts.models import User
from fillrate.accounts.permissions import Role
from fillrate.accounts.services import add_user, issue_token
from tests.helpers import db_state
from tests.web.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def test_the_list_shows_every_user_with_role_state_and_tokens(admin_web):
    add_user(username="pat", role=Role.WAREHOUSE)
    issue_token(username="pat")
    page = admin_web.get("/users/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "pat" in html and "Deactivate pat" in html and "Add user" in html
    row = next(u for u in page.context["users"] if u.username == "pat")
    assert (row.role, row.is_active, row.live_tokens) == ("warehouse", True, 1)


@pytest.mark.parametrize("role", [Role.SUPERVISOR, Role.WAREHOUSE, Role.SALES])
def test_only_administrators_manage_users(login, role):
    client = login(role)
    add_user(username="pat", role=Role.WAREHOUSE)
    before = db_state()
    assert client.get("/users/").status_code == 403
    for url, data in (("/users/new/", {"username": "x", "role": "sales",
                                       "password": PASSWORD}),
                      ("/users/pat/role/", {"role": "administrator"}),
                      ("/users/pat/deactivate/", {})):
        assert client.post(url, data).status_code == 403
    assert db_state() == before
    assert User.objects.get(username="pat").role == "warehouse"


def test_add_a_user_who_can_then_sign_in(admin_web):
    response = admin_web.post("/users/new/", {"username": "wendy", "role": "warehouse",
                                              "password": PASSWORD}, follow=True)
    assert "wendy added as warehouse." in response.content.decode()
    assert Client().login(username="wendy", password=PASSWORD)


@pytest.mark.parametrize(("data", "field", "message"), [
    ({"password": ""}, "password", "Enter a password"),
    ({"password": "123"}, "password", "too short"),
    ({"role": "king"}, "role", "unknown role"),
    ({"username": " "}, "username", "needs a name"),
    ({"username": "PAT"}, "username", "exists already"),
])
def test_a_bad_new_user_is_explained_and_nothing_is_added(admin_web, data, field, message):
    add_user(username="pat", role=Role.WAREHOUSE)
    before = db_state()
    response = admin_web.post("/users/new/", {"username": "wendy", "role": "warehouse",
                                              "password": PASSWORD, **data})
    assert response.status_code == 200
    assert list(response.context["errors"]) == [field]
    assert message in response.context["errors"][field]
    assert db_state() == before


def test_change_a_role(admin_web):
    add_user(username="pat", role=Role.WAREHOUSE)
    response = admin_web.post("/users/pat/role/", {"role": "supervisor"}, follow=True)
    assert "pat is supervisor now." in response.content.decode()
    assert User.objects.get(username="pat").role == "supervisor"
    refused = admin_web.post("/users/pat/role/", {"role": "king"}, follow=True)
    assert "unknown role" in refused.content.decode()
    assert User.objects.get(username="pat").role == "supervisor"


def test_deactivating_signs_the_user_out_and_stops_their_tokens(admin_web, login):
    pat = login(Role.WAREHOUSE, username="pat")
    token = issue_token(username="pat").token
    assert pat.get("/products/").status_code == 200
    response = admin_web.post("/users/pat/deactivate/", follow=True)
    assert "pat is deactivated and signed out; 1 API token revoked." in \
        response.content.decode()
    assert pat.get("/products/").status_code == 302  # to the login page
    api = Client().get("/api/v1/products", headers={"Authorization": f"Bearer {token}"})
    assert api.status_code == 401
    admin_web.post("/users/pat/activate/")
    assert User.objects.get(username="pat").is_active


def test_the_last_administrator_cannot_deactivate_themselves(admin_web):
    me = admin_web.user.username
    response = admin_web.post(f"/users/{me}/deactivate/", follow=True)
    assert "last active administrator" in response.content.decode()
    assert User.objects.get(username=me).is_active

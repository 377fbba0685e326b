"""The API-tokens page: the user's own tokens, a new one shown once, revoking."""

from __future__ import annotations

import pytest
from django.urls import reverse

from fillrate.accounts.models import ApiToken
from fillrate.accounts.permissions import Role
from fillrate.accounts.selectors import user_for_token
from fillrate.accounts.services import issue_token, revoke_token
from tests.helpers import db_state

URL = reverse("web:tokens")


@pytest.mark.parametrize("role", list(Role))
def test_every_role_may_manage_its_own_tokens(login, role):
    client = login(role)
    response = client.post(URL, {"name": "shop sync"}, follow=True)
    assert response.redirect_chain == [(URL, 302)]
    issued = response.context["issued"]
    assert user_for_token(issued["token"]) == client.user


def test_a_new_token_is_shown_once_then_only_by_prefix(login):
    client = login(Role.WAREHOUSE)
    response = client.post(URL, {"name": "shop sync"}, follow=True)
    token = response.context["issued"]["token"]
    html = response.content.decode()
    assert f'<code id="new-token" class="secret" aria-label="New API token">{token}</code>' in html
    assert "shown only this once" in html
    assert "no-store" in response["Cache-Control"]
    row = ApiToken.objects.get(user=client.user)
    assert (row.name, row.prefix) == ("shop sync", token[:10])

    again = client.get(URL)
    html = again.content.decode()
    assert token not in html
    assert f"<code>{row.prefix}…</code>" in html and "shop sync" in html
    assert again.context["issued"] is None


def test_the_page_lists_only_the_users_own_tokens_with_their_state(login):
    client = login(Role.SALES)
    other = login(Role.SALES, username="someone-else")
    mine = issue_token(username=client.user.username, name="old")
    revoke_token(token_id=mine.token_id)
    issue_token(username=client.user.username, name="new")
    issue_token(username=other.user.username, name="theirs")
    response = client.get(URL)
    assert [(t.name, t.revoked_at is not None) for t in response.context["tokens"]] == [
        ("new", False), ("old", True)]
    html = response.content.decode()
    assert "theirs" not in html
    assert html.count(">Revoke</button>") == 1
    assert "revoked " in html and ">active<" in html


def test_revoking_a_token_stops_it_working(login):
    client = login(Role.WAREHOUSE)
    issued = issue_token(username=client.user.username, name="ci")
    response = client.post(reverse("web:revoke_token", args=[issued.token_id]), follow=True)
    assert response.redirect_chain == [(URL, 302)]
    assert user_for_token(issued.token) is None
    assert "revoked: requests using it are refused" in response.content.decode()


def test_revoking_twice_says_so_and_changes_nothing(login):
    client = login(Role.WAREHOUSE)
    issued = issue_token(username=client.user.username)
    revoke_token(token_id=issued.token_id)
    before = db_state()
    response = client.post(reverse("web:revoke_token", args=[issued.token_id]), follow=True)
    assert "that token is revoked already" in response.content.decode()
    assert db_state() == before


def test_another_users_token_cannot_be_revoked(login):
    client = login(Role.ADMINISTRATOR)
    other = login(Role.SALES, username="someone-else")
    theirs = issue_token(username=other.user.username)
    before = db_state()
    response = client.post(reverse("web:revoke_token", args=[theirs.token_id]))
    assert response.status_code == 404
    assert db_state() == before
    assert user_for_token(theirs.token) == other.user


def test_revoking_needs_a_post(login):
    client = login(Role.WAREHOUSE)
    issued = issue_token(username=client.user.username)
    assert client.get(reverse("web:revoke_token", args=[issued.token_id])).status_code == 405
    assert user_for_token(issued.token) is not None


def test_the_label_is_limited(login):
    client = login(Role.WAREHOUSE)
    response = client.post(URL, {"name": "x" * 101})
    assert response.context["issued"] is None
    assert "name" in response.context["form"].errors
    assert not ApiToken.objects.exists()


def test_reloading_the_page_after_creating_a_token_creates_no_other(login):
    client = login(Role.WAREHOUSE)
    response = client.post(URL, {"name": "shop sync"})
    assert response.status_code == 302 and response["Location"] == URL
    first = client.get(URL)
    assert first.context["issued"] is not None
    for _ in range(2):
        reloaded = client.get(URL)
        assert reloaded.context["issued"] is None
    assert ApiToken.objects.filter(user=client.user).count() == 1

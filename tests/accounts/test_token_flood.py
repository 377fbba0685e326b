"""A flood of bad API tokens does not cost a database query each: a token
that cannot be one of ours is refused before the database is asked, and an
unknown or revoked one is remembered (a token is random, so an unknown one
never starts to exist)."""

from __future__ import annotations

import pytest

from fillrate.accounts.models import User
from fillrate.accounts.permissions import Role
from fillrate.accounts.selectors import forget_unknown_tokens, user_for_token
from fillrate.accounts.services import add_user, issue_token, revoke_token


@pytest.fixture(autouse=True)
def _fresh_memory():
    forget_unknown_tokens()
    yield
    forget_unknown_tokens()


@pytest.mark.parametrize("token", ["", "abc", "fr_", "fr_short", "fr_" + "A" * 42,
                                   "fr_" + "A" * 44, "fr_" + "A" * 42 + "!",
                                   "Bearer fr_x", "x" * 5000])
def test_a_token_of_the_wrong_shape_asks_no_query(db, django_assert_num_queries, token):
    with django_assert_num_queries(0):
        assert user_for_token(token) is None


def test_an_unknown_token_is_looked_up_once(db, django_assert_num_queries):
    unknown = "fr_" + "B" * 43
    with django_assert_num_queries(1):
        assert user_for_token(unknown) is None
    with django_assert_num_queries(0):
        for _ in range(50):
            assert user_for_token(unknown) is None


def test_a_revoked_token_is_remembered_and_a_live_one_is_asked_each_time(
        db, django_assert_num_queries):
    add_user(username="tom", role=Role.SALES)
    live, gone = issue_token(username="tom"), issue_token(username="tom")
    revoke_token(token_id=gone.token_id)
    assert user_for_token(gone.token) is None
    with django_assert_num_queries(0):
        assert user_for_token(gone.token) is None
    tom = User.objects.get(username="tom")
    for _ in range(2):
        with django_assert_num_queries(1):
            assert user_for_token(live.token) == tom
    # revoked after it was used: refused at once
    revoke_token(token_id=live.token_id)
    assert user_for_token(live.token) is None


def test_an_inactive_users_token_works_again_when_the_user_is_back(db):
    add_user(username="tom", role=Role.SALES)
    issued = issue_token(username="tom")
    User.objects.filter(username="tom").update(is_active=False)
    assert user_for_token(issued.token) is None
    User.objects.filter(username="tom").update(is_active=True)
    assert user_for_token(issued.token) == User.objects.get(username="tom")


def test_the_api_answers_a_flood_of_bad_tokens_without_queries(
        client, db, django_assert_num_queries):
    with django_assert_num_queries(0):
        for n in range(20):
            response = client.get("/api/v1/products",
                                  headers={"Authorization": f"Bearer nonsense-{n}"})
            assert response.status_code == 401

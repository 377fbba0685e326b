"""Sign-in lockout: a few wrong passwords lock the user name (and many lock
the address) for a while; the right password is refused meanwhile and
works again after."""

from __future__ import annotations

import datetime as dt
import logging

import pytest
from django.db.models import F
from django.test import Client

from fillrate.accounts import throttle
from fillrate.accounts.models import LoginFailure
from fillrate.accounts.permissions import Role
from fillrate.accounts.services import add_user

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-9"


def sign_in(client: Client, username: str, password: str, address: str = "10.0.0.1"):
    return client.post("/login/", {"username": username, "password": password},
                       REMOTE_ADDR=address)


def signed_in(response) -> bool:
    return response.status_code == 302


def age_failures(by: dt.timedelta) -> None:
    LoginFailure.objects.update(created_at=F("created_at") - by)


def test_wrong_passwords_lock_the_user_out_then_the_lock_expires(caplog):
    add_user(username="anna", role=Role.SALES, password=PASSWORD)
    client = Client()
    with caplog.at_level(logging.WARNING):
        for _ in range(throttle.USER_LIMIT):
            response = sign_in(client, "anna", "wrong")
            assert response.status_code == 200 and "Too many" not in response.content.decode()
    assert any("failed sign-in for 'anna'" in r.getMessage() for r in caplog.records)

    refused = sign_in(client, "anna", PASSWORD)
    assert not signed_in(refused)
    assert "Too many failed sign-ins for this account. Try again in 15 minutes." in (
        refused.content.decode())
    # another address does not help: the user name is locked
    assert not signed_in(sign_in(Client(), "ANNA", PASSWORD, address="10.9.9.9"))
    assert LoginFailure.objects.count() == throttle.USER_LIMIT  # refusals are not counted

    age_failures(throttle.WINDOW - dt.timedelta(minutes=1))
    assert "Try again in 1 minute." in sign_in(client, "anna", PASSWORD).content.decode()
    age_failures(dt.timedelta(minutes=1, seconds=1))
    assert signed_in(sign_in(client, "anna", PASSWORD))
    assert not LoginFailure.objects.filter(username="anna").exists()


def test_a_success_clears_the_count():
    add_user(username="ben", role=Role.SALES, password=PASSWORD)
    for _ in range(throttle.USER_LIMIT - 1):
        sign_in(Client(), "ben", "wrong")
    assert signed_in(sign_in(Client(), "ben", PASSWORD))
    for _ in range(throttle.USER_LIMIT - 1):
        sign_in(Client(), "ben", "wrong")
    assert signed_in(sign_in(Client(), "ben", PASSWORD))


def test_many_wrong_passwords_from_one_address_lock_the_address():
    add_user(username="cleo", role=Role.SALES, password=PASSWORD)
    for i in range(throttle.ADDRESS_LIMIT):
        sign_in(Client(), f"guess-{i}", "wrong", address="10.6.6.6")
    refused = sign_in(Client(), "cleo", PASSWORD, address="10.6.6.6")
    assert not signed_in(refused)
    assert "Too many failed sign-ins for this address." in refused.content.decode()
    assert signed_in(sign_in(Client(), "cleo", PASSWORD, address="10.0.0.2"))


def test_fifty_quick_wrong_passwords_do_not_open_the_door():
    add_user(username="dan", role=Role.SALES, password=PASSWORD)
    client = Client()
    for _ in range(50):
        sign_in(client, "dan", "wrong")
    assert not signed_in(sign_in(client, "dan", PASSWORD))

"""Logged-in test clients for the staff pages, one per role."""

from __future__ import annotations

import pytest
from django.test import Client

from fillrate.accounts.models import User
from fillrate.accounts.permissions import Role
from fillrate.accounts.services import add_user

PASSWORD = "correct-horse-9"


@pytest.fixture
def login(db):
    """`login(role)`: a test client with a session for a new user of that role."""

    def make(role: str = Role.ADMINISTRATOR, username: str | None = None) -> Client:
        name = username or f"{role}-web"
        user = User.objects.filter(username=name).first() or add_user(
            username=name, role=role, password=PASSWORD)
        client = Client()
        client.force_login(user)
        client.user = user
        return client

    return make


@pytest.fixture
def admin_web(login) -> Client:
    return login(Role.ADMINISTRATOR)


HTMX = {"HX-Request": "true"}

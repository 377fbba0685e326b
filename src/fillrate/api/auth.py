"""Bearer-token authentication that also enforces the permission matrix.

Each endpoint is declared with `auth=needs("<permission>")`. No or a bad token
is 401; a valid token whose role lacks the permission is 403, refused before
the handler runs, so nothing changes.
"""

from __future__ import annotations

from functools import cache

from django.http import HttpRequest
from ninja.security import HttpBearer

from fillrate.accounts.models import User
from fillrate.accounts.permissions import has_permission, roles_with
from fillrate.accounts.selectors import user_for_token
from fillrate.core.errors import PermissionDenied

_CACHE_ATTR = "_fillrate_token_user"


def request_user(request: HttpRequest) -> User | None:
    """The user of the request's bearer token, looked up once per request."""
    if not hasattr(request, _CACHE_ATTR):
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        user = user_for_token(token.strip()) if scheme.lower() == "bearer" else None
        setattr(request, _CACHE_ATTR, user)
    return getattr(request, _CACHE_ATTR)


class Permission(HttpBearer):
    def __init__(self, permission: str) -> None:
        roles_with(permission)  # an unknown permission fails at import time
        self.permission = permission
        super().__init__()

    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        user = request_user(request)
        if user is None:
            return None
        if not has_permission(user.role, self.permission):
            raise PermissionDenied(
                "auth.forbidden",
                f"the {user.role} role may not do this (needs {self.permission})",
            )
        request.user = user
        return user


@cache
def needs(permission: str) -> list[Permission]:
    return [Permission(permission)]


def actor_id(request: HttpRequest) -> int:
    return request.auth.id  # type: ignore[attr-defined]

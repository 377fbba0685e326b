from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from fillrate.accounts.models import ApiToken, User
from fillrate.accounts.services import TOKEN_PREFIX, token_digest
from fillrate.core.errors import NotFound
from fillrate.core.sql import fetch, quote, table


def user_for_token(token: str) -> User | None:
    """The active user a live token belongs to, or None."""
    if not token or not token.startswith(TOKEN_PREFIX):
        return None
    fields = User._meta.concrete_fields
    rows = fetch(
        f"SELECT {', '.join('u.' + quote(f.column) for f in fields)} "
        f"FROM {table(ApiToken)} t JOIN {table(User)} u ON u.id = t.user_id "
        f"WHERE t.digest = %s AND t.revoked_at IS NULL AND u.is_active",
        [token_digest(token)])
    # One plain statement: every API request asks this first.
    return User.from_db(None, [f.attname for f in fields], rows[0]) if rows else None


def tokens_of(*, user_id: int) -> list[ApiToken]:
    return list(ApiToken.objects.filter(user_id=user_id).order_by("-id"))


def users() -> QuerySet[User]:
    """Every user, active first, by name, with `live_tokens`."""
    return User.objects.annotate(
        live_tokens=Count("tokens", filter=Q(tokens__revoked_at__isnull=True)),
    ).order_by("-is_active", "username")


def active_user(username: str, *, field: str = "username") -> User:
    """An active user by username (404 `accounts.unknown_user` naming `field`)."""
    user = (User.objects.filter(username=username, is_active=True).first()
            if isinstance(username, str) and username else None)
    if user is None:
        raise NotFound("accounts.unknown_user", f"no active user {username!r}", field=field)
    return user

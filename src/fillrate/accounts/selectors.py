from __future__ import annotations

import re
from collections import OrderedDict

from django.db.models import Count, Q, QuerySet

from fillrate.accounts.models import ApiToken, User
from fillrate.accounts.services import TOKEN_PREFIX, token_digest
from fillrate.core.errors import NotFound
from fillrate.core.sql import fetch, quote, table

# The shape `issue_token` gives every token: the prefix and 32 random bytes
# in URL-safe base64. Anything else is refused without asking the database.
TOKEN_SHAPE = re.compile(re.escape(TOKEN_PREFIX) + r"[A-Za-z0-9_-]{43}\Z")

# Digests of tokens that are not ours, or revoked: a flood of bad tokens
# costs one query per distinct token per process, not one per request. A
# token is random, so an unknown one never comes to exist, and a revoked one
# stays revoked. (An inactive user's token is not remembered: the user may
# be made active again.)
_UNKNOWN: OrderedDict[str, None] = OrderedDict()
_UNKNOWN_MAX = 10_000


def forget_unknown_tokens() -> None:
    _UNKNOWN.clear()


def _remember_unknown(digest: str) -> None:
    _UNKNOWN[digest] = None
    if len(_UNKNOWN) > _UNKNOWN_MAX:
        _UNKNOWN.popitem(last=False)


def user_for_token(token: str) -> User | None:
    """The active user a live token belongs to, or None."""
    if not TOKEN_SHAPE.match(token):
        return None
    digest = token_digest(token)
    if digest in _UNKNOWN:
        return None
    fields = User._meta.concrete_fields
    rows = fetch(
        f"SELECT t.revoked_at IS NULL, {', '.join('u.' + quote(f.column) for f in fields)} "
        f"FROM {table(ApiToken)} t JOIN {table(User)} u ON u.id = t.user_id "
        f"WHERE t.digest = %s", [digest])
    # One plain statement: every API request asks this first.
    if not rows or not rows[0][0]:
        _remember_unknown(digest)
        return None
    user = User.from_db(None, [f.attname for f in fields], rows[0][1:])
    return user if user.is_active else None


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

"""Users and API tokens."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from fillrate.accounts.models import ApiToken, User
from fillrate.accounts.permissions import Role
from fillrate.core.errors import Conflict, InvalidValue, NotFound
from fillrate.core.event_types import EventType
from fillrate.core.events import record_event

TOKEN_PREFIX = "fr_"


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def add_user(
    *, username: str, role: str, password: str | None = None, email: str = "",
    actor_id: int | None = None,
) -> User:
    """Create a user with a role. Raises `accounts.unknown_role`,
    `accounts.duplicate_username`, `accounts.weak_password`."""
    username = (username or "").strip()
    if not username:
        raise InvalidValue("accounts.invalid_username", "a user needs a name", field="username")
    if role not in {r.value for r in Role}:
        raise InvalidValue(
            "accounts.unknown_role",
            f"unknown role {role!r}; choose one of {', '.join(r.value for r in Role)}",
            field="role",
        )
    if password is not None:
        try:
            validate_password(password)
        except ValidationError as exc:
            raise InvalidValue("accounts.weak_password", " ".join(exc.messages),
                               field="password") from None
    with transaction.atomic():
        if User.objects.filter(username__iexact=username).exists():
            raise Conflict("accounts.duplicate_username", f"user {username!r} exists already",
                           field="username")
        user = User(username=username, role=role, email=email,
                    is_staff=role == Role.ADMINISTRATOR)
        if password is None:
            user.set_unusable_password()
        else:
            user.set_password(password)
        user.save()
        record_event(type=EventType.USER_ADDED, subject_type="user", subject=username,
                     actor_id=actor_id, payload={"role": role})
    return user


@dataclass(frozen=True)
class IssuedToken:
    token: str
    token_id: int
    username: str


def issue_token(*, username: str, name: str = "", actor_id: int | None = None) -> IssuedToken:
    """Create an API token for a user; the plain token exists only in the result."""
    with transaction.atomic():
        user = User.objects.filter(username__iexact=username, is_active=True).first()
        if user is None:
            raise NotFound("accounts.unknown_user", f"no active user {username!r}",
                           field="username")
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        row = ApiToken.objects.create(user=user, digest=token_digest(token),
                                      prefix=token[:10], name=name)
        record_event(type=EventType.API_TOKEN_ISSUED, subject_type="user", subject=user.username,
                     actor_id=actor_id, payload={"token_id": row.id, "prefix": row.prefix})
    return IssuedToken(token=token, token_id=row.id, username=user.username)


def revoke_token(*, token_id: int, actor_id: int | None = None) -> None:
    with transaction.atomic():
        row = ApiToken.objects.select_for_update().filter(id=token_id).first()
        if row is None:
            raise NotFound("accounts.unknown_token", f"no token {token_id}", field="token_id")
        if row.revoked_at is not None:
            raise Conflict("accounts.token_revoked", "that token is revoked already")
        row.revoked_at = timezone.now()
        row.save(update_fields=["revoked_at"])
        record_event(type=EventType.API_TOKEN_REVOKED,
                     subject_type="user", subject=row.user.username,
                     actor_id=actor_id, payload={"token_id": row.id, "prefix": row.prefix})


def _user_for_update(username: str) -> User:
    name = (username or "").strip()
    user = User.objects.select_for_update().filter(username__iexact=name).first()
    if user is None:
        raise NotFound("accounts.unknown_user", f"no user {username!r}", field="username")
    return user


def _refuse_losing_last_administrator(user: User) -> None:
    """Someone must be left who can manage users."""
    if user.role != Role.ADMINISTRATOR or not user.is_active:
        return
    others = (User.objects.select_for_update().filter(role=Role.ADMINISTRATOR, is_active=True)
              .exclude(id=user.id))
    if not list(others.values_list("id", flat=True)[:1]):
        raise Conflict("accounts.last_administrator",
                       f"{user.username} is the last active administrator: make another user "
                       "an administrator first", field="username")


def change_role(*, username: str, role: str, actor_id: int | None = None) -> User:
    """Give a user another role (administrators are also Django staff).
    Raises 404 `accounts.unknown_user`, 422 `accounts.unknown_role`, 409
    `accounts.last_administrator` when the last active administrator would
    lose the role. Writes `UserRoleChanged` (nothing when the role is the
    same)."""
    if role not in {r.value for r in Role}:
        raise InvalidValue(
            "accounts.unknown_role",
            f"unknown role {role!r}; choose one of {', '.join(r.value for r in Role)}",
            field="role",
        )
    with transaction.atomic():
        user = _user_for_update(username)
        if user.role == role:
            return user
        if role != Role.ADMINISTRATOR:
            _refuse_losing_last_administrator(user)
        old = user.role
        user.role = role
        user.is_staff = role == Role.ADMINISTRATOR
        user.save(update_fields=["role", "is_staff"])
        record_event(type=EventType.USER_ROLE_CHANGED, subject_type="user", subject=user.username,
                     actor_id=actor_id, payload={"from": old, "to": role})
    return user


def deactivate_user(*, username: str, actor_id: int | None = None) -> int:
    """Stop a user: they can no longer sign in, their sessions end at their
    next request, and every live API token is revoked in the same
    transaction (refused from the next request on). Returns how many tokens
    were revoked. Raises 404 `accounts.unknown_user`, 409
    `accounts.inactive` (already inactive), `accounts.last_administrator`."""
    with transaction.atomic():
        user = _user_for_update(username)
        if not user.is_active:
            raise Conflict("accounts.inactive", f"{user.username} is inactive already",
                           field="username")
        _refuse_losing_last_administrator(user)
        user.is_active = False
        user.save(update_fields=["is_active"])
        revoked = ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(
            revoked_at=timezone.now())
        record_event(type=EventType.USER_DEACTIVATED, subject_type="user", subject=user.username,
                     actor_id=actor_id, payload={"tokens_revoked": revoked})
    return revoked


def activate_user(*, username: str, actor_id: int | None = None) -> User:
    """Let a deactivated user sign in again (their old tokens stay revoked:
    issue new ones). Raises 404 `accounts.unknown_user`, 409
    `accounts.active` (already active)."""
    with transaction.atomic():
        user = _user_for_update(username)
        if user.is_active:
            raise Conflict("accounts.active", f"{user.username} is active already",
                           field="username")
        user.is_active = True
        user.save(update_fields=["is_active"])
        record_event(type=EventType.USER_ACTIVATED, subject_type="user", subject=user.username,
                     actor_id=actor_id, payload={})
    return user

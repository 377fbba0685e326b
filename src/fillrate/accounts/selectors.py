from __future__ import annotations

from fillrate.accounts.models import ApiToken, User
from fillrate.accounts.services import TOKEN_PREFIX, token_digest


def user_for_token(token: str) -> User | None:
    """The active user a live token belongs to, or None."""
    if not token or not token.startswith(TOKEN_PREFIX):
        return None
    row = (
        ApiToken.objects.select_related("user")
        .filter(digest=token_digest(token), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    return row.user if row else None


def tokens_of(*, user_id: int) -> list[ApiToken]:
    return list(ApiToken.objects.filter(user_id=user_id).order_by("-id"))

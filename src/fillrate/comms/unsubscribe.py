"""The unsubscribe link in every email: signed with the secret key, no
expiry, no login; it names only the customer."""

from __future__ import annotations

from django.conf import settings
from django.core import signing

_SALT = "fillrate.comms.unsubscribe"


def unsubscribe_token(customer_id: int) -> str:
    return signing.dumps({"c": customer_id}, salt=_SALT)


def unsubscribe_url(customer_id: int) -> str:
    return f"{settings.PUBLIC_URL}/notifications/unsubscribe/{unsubscribe_token(customer_id)}/"


def read_unsubscribe_token(token: str) -> int | None:
    """The customer id the token names, or None when it was tampered with."""
    try:
        data = signing.loads(token, salt=_SALT)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("c"), int):
        return None
    return data["c"]

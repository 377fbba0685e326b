"""The customer's choice link: a signed, expiring, single-use token.

The token carries the backorder's id and a random nonce, signed with the
secret key (`django.core.signing`, timestamped) and good for
`CHOICE_LINK_MAX_AGE`. Nothing is stored when a link is made (a receipt that
readies thousands of backorders makes thousands of links); the nonce is
recorded (`backorders.ChoiceLinkUse`) when the customer's choice is applied,
which is what makes a link single-use.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core import signing

from fillrate.backorders.models import Backorder, ChoiceLinkUse

CHOICE_LINK_MAX_AGE = timedelta(days=14)
_SALT = "fillrate.comms.choice-link"


class ChoiceLinkError(Exception):
    """A link that cannot be used; `reason` is `invalid`, `expired` or `used`."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class ChoiceToken:
    backorder_id: int
    nonce: str


def choice_token(backorder: Backorder | int) -> str:
    backorder_id = backorder if isinstance(backorder, int) else backorder.pk
    return signing.dumps({"b": backorder_id, "n": secrets.token_hex(8)}, salt=_SALT)


def choice_path(token: str) -> str:
    return f"/choice/{token}/"


def choice_url(backorder: Backorder | int) -> str:
    """The absolute URL (base `FILLRATE_PUBLIC_URL`) of a new choice link for
    the backorder (an instance or its id)."""
    return settings.PUBLIC_URL + choice_path(choice_token(backorder))


def read_choice_token(token: str, *, check_used: bool = True) -> ChoiceToken:
    """The backorder and nonce a token names; raises `ChoiceLinkError` when
    it was tampered with (`invalid`), is older than 14 days (`expired`) or
    has been used (`used`)."""
    try:
        data = signing.loads(token, salt=_SALT,
                             max_age=CHOICE_LINK_MAX_AGE.total_seconds())
    except signing.SignatureExpired:
        raise ChoiceLinkError("expired") from None
    except signing.BadSignature:
        raise ChoiceLinkError("invalid") from None
    if (not isinstance(data, dict) or not isinstance(data.get("b"), int)
            or not isinstance(data.get("n"), str)):
        raise ChoiceLinkError("invalid")
    parsed = ChoiceToken(backorder_id=data["b"], nonce=data["n"])
    if check_used and ChoiceLinkUse.objects.filter(nonce=parsed.nonce).exists():
        raise ChoiceLinkError("used")
    return parsed

"""Sign-in lockout: after `USER_LIMIT` wrong passwords for one user name, or
`ADDRESS_LIMIT` from one address, within `WINDOW`, every sign-in for that
name (or from that address) is refused, the right password too, until the
oldest failure in the window is older than `WINDOW`. A success clears the
user name's failures."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.utils import timezone

from fillrate.accounts.models import LoginFailure

log = logging.getLogger(__name__)

USER_LIMIT = 5
ADDRESS_LIMIT = 20
WINDOW = dt.timedelta(minutes=15)


@dataclass(frozen=True)
class Lockout:
    reason: str  # "user" or "address"
    until: dt.datetime

    @property
    def message(self) -> str:
        minutes = max(1, int((self.until - timezone.now()).total_seconds() // 60) + 1)
        what = "this account" if self.reason == "user" else "this address"
        return (f"Too many failed sign-ins for {what}. Try again in {minutes} "
                f"minute{'s' if minutes != 1 else ''}.")


def _key(username: str) -> str:
    return (username or "").strip().lower()[:150]


def current_lockout(*, username: str, address: str) -> Lockout | None:
    since = timezone.now() - WINDOW
    recent = LoginFailure.objects.filter(created_at__gt=since)
    for reason, rows, limit in (
            ("user", recent.filter(username=_key(username)), USER_LIMIT),
            ("address", recent.filter(address=address), ADDRESS_LIMIT)):
        if rows.count() >= limit:
            # Locked until enough of the window's failures have aged out.
            nth = rows.order_by("-created_at").values_list("created_at", flat=True)[limit - 1]
            return Lockout(reason, nth + WINDOW)
    return None


def record_login_failure(*, username: str, address: str) -> None:
    LoginFailure.objects.create(username=_key(username), address=address,
                                created_at=timezone.now())
    log.warning("failed sign-in for %r from %s", _key(username), address)


def record_login_success(*, username: str) -> None:
    LoginFailure.objects.filter(username=_key(username)).delete()

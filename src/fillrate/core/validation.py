"""Checks of values that several apps take the same way."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from fillrate.core.errors import InvalidValue


def check_email(email: str, *, app: str) -> str:
    """`email` (stripped) when it is empty or an email address; else
    `<app>.invalid_email` (422) naming `email`."""
    email = email.strip()
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise InvalidValue(f"{app}.invalid_email", f"{email!r} is not an email address",
                               field="email") from None
    return email

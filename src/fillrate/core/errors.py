"""The one error type of the domain.

Services raise a `DomainError` (or one of its kinds) with a stable code
`"<app>.<reason>"`, a message for people and, where one input is to blame, the
field that names it. Interfaces map the kind to their own form: the API to an
HTTP status (see `fillrate.api.errors`), the CLI to exit code 2.
"""

from __future__ import annotations


class DomainError(Exception):
    """Conflicts with the current state (HTTP 409)."""

    status = 409

    def __init__(self, code: str, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return f"{type(self).__name__}({self.code!r}, {self.message!r}, field={self.field!r})"


class Conflict(DomainError):
    status = 409


class NotFound(DomainError):
    """An addressed resource does not exist (HTTP 404)."""

    status = 404


class InvalidValue(DomainError):
    """Well-formed input with a value the domain cannot accept (HTTP 422)."""

    status = 422


class BadRequest(DomainError):
    """Malformed input (HTTP 400)."""

    status = 400


class PermissionDenied(DomainError):
    """The actor's role may not do this (HTTP 403)."""

    status = 403


class Busy(DomainError):
    """The resources a change needs stayed locked by others; nothing changed,
    try again (HTTP 503)."""

    status = 503

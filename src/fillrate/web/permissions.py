"""How web views are guarded: log in first, then the role's permission."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.shortcuts import resolve_url
from django_htmx.http import HttpResponseClientRedirect


def _to_login(request):
    """A normal request is redirected to the login page; an htmx request would
    swap that page into a fragment, so it is told to load it as a whole page."""
    response = redirect_to_login(request.get_full_path(), resolve_url(settings.LOGIN_URL))
    if getattr(request, "htmx", False):
        return HttpResponseClientRedirect(response["Location"])
    return response


def signed_in(view: Callable) -> Callable:
    """Any logged-in user: for pages about the user's own account."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return _to_login(request)
        return view(request, *args, **kwargs)

    return wrapped


def requires(permission: str) -> Callable:
    """Log in first; then the user's role must have `permission` (else 403)."""

    def decorate(view: Callable) -> Callable:
        @signed_in
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.can(permission):
                raise PermissionDenied(permission)
            return view(request, *args, **kwargs)

        wrapped.permission = permission  # type: ignore[attr-defined]
        return wrapped

    return decorate

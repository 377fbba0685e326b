"""The users page (administrators): add users, change roles, deactivate and
reactivate. Deactivating revokes the user's API tokens in the same
transaction and ends their sessions at their next request."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from fillrate.accounts.permissions import Role
from fillrate.accounts.selectors import users
from fillrate.accounts.services import activate_user, add_user, change_role, deactivate_user
from fillrate.core.errors import DomainError
from fillrate.web.permissions import requires

USER_FIELDS = ("username", "role", "password")


def _page(request, *, values=None, errors=None):
    return render(request, "web/users.html", {
        "users": list(users()), "roles": [r.value for r in Role],
        "values": values or {"role": Role.WAREHOUSE.value}, "errors": errors or {},
    })


@requires("users.manage")
def user_list(request):
    return _page(request)


@requires("users.manage")
@require_POST
def user_new(request):
    values = {k: request.POST.get(k, "").strip() for k in ("username", "role")}
    password = request.POST.get("password", "")
    errors: dict[str, str] = {}
    if not password:
        errors["password"] = "Enter a password for the user to sign in with."
    else:
        try:
            user = add_user(username=values["username"], role=values["role"],
                            password=password, actor_id=request.user.id)
        except DomainError as error:
            errors[error.field if error.field in USER_FIELDS else "form"] = error.message
        else:
            messages.success(request, f"{user.username} added as {user.role}.")
            return redirect("web:users")
    return _page(request, values=values, errors=errors)


def _act(request, action, done: str):
    try:
        action()
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, done)
    return redirect("web:users")


@requires("users.manage")
@require_POST
def user_role(request, username: str):
    role = request.POST.get("role", "")
    return _act(request, lambda: change_role(username=username, role=role,
                                             actor_id=request.user.id),
                f"{username} is {role} now.")


@requires("users.manage")
@require_POST
def user_deactivate(request, username: str):
    try:
        revoked = deactivate_user(username=username, actor_id=request.user.id)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"{username} is deactivated and signed out; {revoked} API "
                                  f"token{'s' if revoked != 1 else ''} revoked.")
    return redirect("web:users")


@requires("users.manage")
@require_POST
def user_activate(request, username: str):
    return _act(request, lambda: activate_user(username=username, actor_id=request.user.id),
                f"{username} can sign in again (issue new API tokens if needed).")

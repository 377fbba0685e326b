"""Managing users: roles, deactivation (which revokes tokens at once),
reactivation, and the `fillrate user` commands."""

from __future__ import annotations

import pytest
from django.test import Client

from fillrate.accounts.models import ApiToken, User
from fillrate.accounts.permissions import Role
from fillrate.accounts.services import (
    activate_user,
    add_user,
    change_role,
    deactivate_user,
    issue_token,
)
from fillrate.cli import main
from fillrate.core.errors import DomainError
from fillrate.core.models import Event
from tests.helpers import assert_error, db_state

P = "/api/v1"


@pytest.fixture
def run(capsys):
    def run(*argv: str) -> tuple[int, str, str]:
        code = main(list(argv))
        out, err = capsys.readouterr()
        return code, out, err

    return run


def _bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def test_deactivating_a_user_revokes_their_tokens_at_once(make_api, db):
    picker = make_api(Role.WAREHOUSE, username="pat")
    second = issue_token(username="pat").token
    assert picker.get(f"{P}/products").status_code == 200
    assert deactivate_user(username="pat") == 2
    for token in (picker.token, second):
        assert_error(Client().get(f"{P}/products", headers=_bearer(token)), 401,
                     "auth.unauthenticated")
    assert not ApiToken.objects.filter(user__username="pat", revoked_at__isnull=True).exists()
    event = Event.objects.get(type="UserDeactivated")
    assert (event.subject, event.payload) == ("pat", {"tokens_revoked": 2})
    assert not Client().login(username="pat", password="correct-horse-9")


def test_a_reactivated_user_signs_in_again_but_old_tokens_stay_revoked(make_api, db):
    picker = make_api(Role.WAREHOUSE, username="pat")
    deactivate_user(username="pat")
    activate_user(username="pat")
    assert Client().login(username="pat", password="correct-horse-9")
    assert Client().get(f"{P}/products", headers=_bearer(picker.token)).status_code == 401
    fresh = issue_token(username="pat").token
    assert Client().get(f"{P}/products", headers=_bearer(fresh)).status_code == 200


def test_a_new_role_takes_effect_on_the_next_request(make_api, db):
    sales = make_api(Role.SALES, username="sam")
    body = {"sku": "X", "name": "X", "list_price": "1.00"}
    assert_error(sales.post(f"{P}/products", body), 403, "auth.forbidden")
    user = change_role(username="SAM", role=Role.SUPERVISOR)
    assert (user.role, user.is_staff) == ("supervisor", False)
    assert sales.post(f"{P}/products", body).status_code == 201
    assert change_role(username="sam", role=Role.ADMINISTRATOR).is_staff
    assert list(Event.objects.filter(type="UserRoleChanged").values_list("payload", flat=True)) \
        == [{"from": "sales", "to": "supervisor"}, {"from": "supervisor", "to": "administrator"}]


@pytest.mark.parametrize(("call", "code"), [
    (lambda: change_role(username="nobody", role="sales"), "accounts.unknown_user"),
    (lambda: change_role(username="boss", role="king"), "accounts.unknown_role"),
    (lambda: change_role(username="boss", role="sales"), "accounts.last_administrator"),
    (lambda: deactivate_user(username="boss"), "accounts.last_administrator"),
    (lambda: deactivate_user(username="gone"), "accounts.inactive"),
    (lambda: activate_user(username="boss"), "accounts.active"),
    (lambda: deactivate_user(username="nobody"), "accounts.unknown_user"),
])
def test_refused_user_changes_change_nothing(call, code, db):
    add_user(username="boss", role=Role.ADMINISTRATOR)
    add_user(username="gone", role=Role.SALES)
    deactivate_user(username="gone")
    before = db_state()
    states = list(User.objects.values_list("username", "role", "is_active"))
    with pytest.raises(DomainError) as exc:
        call()
    assert exc.value.code == code
    assert db_state() == before
    assert list(User.objects.values_list("username", "role", "is_active")) == states


def test_an_administrator_may_go_when_another_remains(db):
    add_user(username="boss", role=Role.ADMINISTRATOR)
    add_user(username="deputy", role=Role.ADMINISTRATOR)
    deactivate_user(username="boss")
    with pytest.raises(DomainError) as exc:
        change_role(username="deputy", role=Role.SALES)
    assert exc.value.code == "accounts.last_administrator"


# -- fillrate user ... ------------------------------------------------------------

def test_user_commands(run, db):
    add_user(username="boss", role=Role.ADMINISTRATOR)
    add_user(username="pat", role=Role.WAREHOUSE)
    issue_token(username="pat")
    assert run("user", "role", "pat", "supervisor") == (0, "pat is now supervisor\n", "")
    code, out, _ = run("user", "list")
    assert code == 0
    assert out.splitlines() == ["boss\tadministrator\tactive\t0 live token(s)",
                                "pat\tsupervisor\tactive\t1 live token(s)"]
    assert run("user", "deactivate", "pat") == (
        0, "deactivated pat; 1 API token(s) revoked\n", "")
    assert run("user", "list")[1].splitlines()[1] == "pat\tsupervisor\tinactive\t0 live token(s)"
    assert run("user", "activate", "pat")[0] == 0
    assert User.objects.get(username="pat").is_active


@pytest.mark.parametrize(("argv", "message"), [
    (("user", "role", "nobody", "sales"), "no user 'nobody'"),
    (("user", "role", "pat", "king"), "unknown role 'king'"),
    (("user", "deactivate", "nobody"), "no user 'nobody'"),
    (("user", "activate", "pat"), "pat is active already"),
    (("user", "deactivate", "boss"), "boss is the last active administrator"),
])
def test_bad_user_commands_exit_2_and_change_nothing(argv, message, run, db):
    add_user(username="boss", role=Role.ADMINISTRATOR)
    add_user(username="pat", role=Role.WAREHOUSE)
    before = db_state()
    code, out, err = run(*argv)
    assert (code, out) == (2, "")
    assert err.startswith(f"fillrate user: {message}"), err
    assert db_state() == before
    assert list(User.objects.values_list("role", "is_active").order_by("username")) == [
        ("administrator", True), ("warehouse", True)]


@pytest.mark.parametrize("argv", [("user", "role", "pat"), ("user", "deactivate"),
                                  ("user", "list", "extra")])
def test_user_command_usage_errors_exit_2(argv, capsys):
    with pytest.raises(SystemExit) as exc:
        main(list(argv))
    assert exc.value.code == 2

"""`fillrate ...` through `fillrate.cli.main`: exit codes and what is written."""

from __future__ import annotations

import pytest
from django.test import Client

from fillrate.accounts.models import ApiToken, User
from fillrate.accounts.permissions import Role
from fillrate.accounts.services import add_user, issue_token
from fillrate.cli import main
from tests.helpers import db_state


@pytest.fixture
def run(capsys):
    def run(*argv: str) -> tuple[int, str, str]:
        code = main(list(argv))
        out, err = capsys.readouterr()
        return code, out, err

    return run


# -- argparse ------------------------------------------------------------------

@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["bogus"],
        ["user"],
        ["user", "add", "bob"],
        ["user", "add", "--role", "sales"],
        ["token"],
        ["token", "bob", "--revoke", "abc"],
        ["serve", "--port", "eighty"],
        ["serve", "--workers", "2.5"],
    ],
    ids=lambda argv: " ".join(argv) or "nothing",
)
def test_usage_errors_exit_2(argv, capsys):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    assert "usage: fillrate" in capsys.readouterr().err


# -- user add ------------------------------------------------------------------

def test_user_add(run, db):
    code, out, _ = run("user", "add", "bob", "--role", "sales", "--password", "long-enough-1",
                       "--email", "bob@example.com")
    assert (code, out.strip()) == (0, "added bob (sales)")
    user = User.objects.get(username="bob")
    assert (user.role, user.email, user.is_staff) == ("sales", "bob@example.com", False)
    assert user.check_password("long-enough-1")


def test_user_add_without_a_password_cannot_log_in(run, db):
    assert run("user", "add", "carol", "--role", "administrator")[0] == 0
    user = User.objects.get(username="carol")
    assert not user.has_usable_password()
    assert user.is_staff


def test_user_add_with_an_unknown_role_exits_2_and_writes_nothing(run, db):
    before = db_state()
    code, out, err = run("user", "add", "bob", "--role", "owner")
    assert code == 2
    assert out == ""
    assert err.startswith("fillrate user: ") and "owner" in err and "sales" in err
    assert db_state() == before


def test_user_add_twice_exits_2_and_writes_nothing(run, db):
    assert run("user", "add", "bob", "--role", "sales")[0] == 0
    before = db_state()
    for name in ("bob", "BOB"):
        code, _, err = run("user", "add", name, "--role", "warehouse")
        assert code == 2
        assert "exists already" in err
    assert db_state() == before
    assert User.objects.get(username="bob").role == "sales"


def test_user_add_with_a_weak_password_exits_2(run, db):
    before = db_state()
    code, _, err = run("user", "add", "bob", "--role", "sales", "--password", "short")
    assert code == 2 and "short" in err.lower()
    assert db_state() == before


# -- token ---------------------------------------------------------------------

def test_token_for_an_unknown_user_exits_2(run, db):
    before = db_state()
    code, out, err = run("token", "nobody")
    assert (code, out) == (2, "")
    assert "nobody" in err
    assert db_state() == before


def test_token_prints_a_token_that_authenticates(run, db):
    add_user(username="dora", role=Role.SALES)
    code, out, _ = run("token", "dora", "--label", "integration")
    assert code == 0
    token = out.strip()
    assert token.startswith("fr_") and "\n" not in token
    row = ApiToken.objects.get(user__username="dora")
    assert row.name == "integration"
    assert token not in {row.digest, row.prefix}  # only the digest is stored
    response = Client().get("/api/v1/customers", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    # the role still applies: sales may not adjust stock
    refused = Client().post("/api/v1/stock/adjustments", {}, content_type="application/json",
                            headers={"Authorization": f"Bearer {token}"})
    assert refused.status_code == 403


def test_token_list_and_revoke(run, db):
    add_user(username="erin", role=Role.WAREHOUSE)
    first = issue_token(username="erin")
    second = issue_token(username="erin")

    code, out, _ = run("token", "erin", "--list")
    assert code == 0
    lines = out.strip().splitlines()
    assert [line.split("\t")[0] for line in lines] == [str(second.token_id), str(first.token_id)]
    assert all(line.endswith("live") for line in lines)

    code, out, _ = run("token", "erin", "--revoke", str(first.token_id))
    assert code == 0 and f"revoked token {first.token_id}" in out
    headers = {"Authorization": f"Bearer {first.token}"}
    assert Client().get("/api/v1/products", headers=headers).status_code == 401
    headers = {"Authorization": f"Bearer {second.token}"}
    assert Client().get("/api/v1/products", headers=headers).status_code == 200

    code, out, _ = run("token", "erin", "--list")
    states = {line.split("\t")[0]: line.split("\t")[-1] for line in out.strip().splitlines()}
    assert states[str(second.token_id)] == "live"
    assert states[str(first.token_id)].startswith("revoked ")

    code, _, err = run("token", "erin", "--revoke", str(first.token_id))
    assert code == 2 and "revoked already" in err


def test_token_revoke_of_someone_else_s_token_exits_2(run, db):
    add_user(username="erin", role=Role.WAREHOUSE)
    add_user(username="fred", role=Role.WAREHOUSE)
    freds = issue_token(username="fred")
    code, _, err = run("token", "erin", "--revoke", str(freds.token_id))
    assert code == 2 and str(freds.token_id) in err
    assert ApiToken.objects.get(id=freds.token_id).revoked_at is None


def test_token_list_for_an_unknown_user_exits_2(run, db):
    assert run("token", "nobody", "--list")[0] == 2
    assert run("token", "nobody", "--revoke", "1")[0] == 2


# -- serve ---------------------------------------------------------------------

@pytest.fixture
def no_server(monkeypatch):
    """Fail loudly if `serve` gets as far as collecting static files or gunicorn."""
    import django.core.management
    from gunicorn.app.base import BaseApplication

    def boom(*args, **kwargs):
        raise AssertionError("serve went past its checks")

    monkeypatch.setattr(BaseApplication, "run", boom)
    monkeypatch.setattr(django.core.management, "call_command", boom)


def test_serve_without_a_secret_key_exits_2_before_starting(run, settings, no_server, db):
    settings.DEBUG = False
    settings.SECRET_KEY_FROM_ENV = ""
    code, out, err = run("serve")
    assert code == 2
    assert "FILLRATE_SECRET_KEY" in err
    assert "serving" not in out


def test_serve_with_no_workers_exits_2(run, settings, no_server, db):
    settings.DEBUG = False
    settings.SECRET_KEY_FROM_ENV = "a-real-secret"
    code, _, err = run("serve", "--workers", "0")
    assert code == 2 and "--workers" in err


def test_serve_hands_its_options_to_gunicorn(run, settings, monkeypatch, tmp_path, db):
    import django.core.management
    from gunicorn.app.base import BaseApplication

    settings.DEBUG = False
    settings.SECRET_KEY_FROM_ENV = "a-real-secret"
    settings.VAR_DIR = tmp_path / "var"
    seen = {}
    monkeypatch.setattr(django.core.management, "call_command",
                        lambda *a, **k: seen.setdefault("command", a[0]))

    def fake_run(self):
        seen["bind"] = self.cfg.bind
        seen["workers"] = self.cfg.workers
        seen["app"] = self.load()

    monkeypatch.setattr(BaseApplication, "run", fake_run)
    code, out, _ = run("serve", "--host", "0.0.0.0", "--port", "8123", "--workers", "3")
    from fillrate.wsgi import application

    assert code == 0
    assert "http://0.0.0.0:8123/" in out
    assert seen == {"command": "collectstatic", "bind": ["0.0.0.0:8123"], "workers": 3,
                    "app": application}


# -- other commands ------------------------------------------------------------

def test_migrate_reports_an_up_to_date_database(run, settings, tmp_path, db):
    settings.VAR_DIR = tmp_path / "var"
    code, out, _ = run("migrate")
    assert (code, out.strip()) == (0, "database is up to date")


def test_demo_command(run, db):
    code, out, _ = run("demo")
    assert code == 0 and "demo data loaded (added 4 users" in out
    assert User.objects.count() == 4


def test_check_deploy_lists_what_is_not_set_for_production(run, settings, monkeypatch):
    monkeypatch.delenv("FILLRATE_ALLOWED_HOSTS", raising=False)
    settings.SECRET_KEY_FROM_ENV = ""
    settings.DEBUG = True
    settings.HTTPS = False
    settings.EMAIL_URL = "console://"
    settings.PUBLIC_URL = "http://127.0.0.1:8000"
    monkeypatch.setattr("fillrate.core.sql.set_based", lambda: False)
    code, out, _ = run("check", "--deploy")
    assert code == 1
    for name in ("FILLRATE_SECRET_KEY", "FILLRATE_DEBUG", "FILLRATE_ALLOWED_HOSTS",
                 "FILLRATE_HTTPS", "FILLRATE_EMAIL_URL", "DATABASE_URL", "FILLRATE_PUBLIC_URL"):
        assert name in out
    assert "setting(s) to set before production" in out


def test_check_deploy_is_ok_when_everything_is_set(run, settings, monkeypatch):
    monkeypatch.setenv("FILLRATE_ALLOWED_HOSTS", "shop.example.com")
    settings.SECRET_KEY_FROM_ENV = "k" * 40
    settings.DEBUG = False
    settings.HTTPS = True
    settings.EMAIL_URL = "smtp://mail.example.com"
    settings.PUBLIC_URL = "https://shop.example.com"
    monkeypatch.setattr("fillrate.core.sql.set_based", lambda: True)
    code, out, _ = run("check", "--deploy")
    assert (code, out.strip()) == (0, "ok: set for production")


def test_https_makes_cookies_secure_and_trusts_the_proxy_header(tmp_path):
    import json
    import os
    import subprocess
    import sys

    env = dict(os.environ, FILLRATE_HTTPS="1", FILLRATE_ALLOWED_HOSTS="shop.example.com",
               FILLRATE_VAR_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="fillrate.settings")
    script = ("import json; from django.conf import settings as s; print(json.dumps(["
              "s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_PROXY_SSL_HEADER, "
              "s.SECURE_HSTS_SECONDS, s.CSRF_TRUSTED_ORIGINS]))")
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                         text=True, check=True).stdout
    assert json.loads(out) == [True, True, ["HTTP_X_FORWARDED_PROTO", "https"], 31536000,
                               ["https://shop.example.com"]]

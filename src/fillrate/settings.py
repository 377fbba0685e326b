"""One settings module, driven by environment variables (see README: Configuration)."""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent
VAR_DIR = Path(os.environ.get("FILLRATE_VAR_DIR", Path.cwd() / "var"))


def _flag(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


DEBUG = _flag("FILLRATE_DEBUG")
# `fillrate serve` refuses to start with debug off and no secret key; this
# fallback only lets management commands and tests import the settings.
SECRET_KEY_FROM_ENV = os.environ.get("FILLRATE_SECRET_KEY", "")
SECRET_KEY = SECRET_KEY_FROM_ENV or "fillrate-insecure-development-key-not-for-production"
ALLOWED_HOSTS = [
    h.strip()
    for h in os.environ.get("FILLRATE_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",")
    if h.strip()
]
if DEBUG:
    ALLOWED_HOSTS += ["testserver"]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "template_partials",
    # django-ninja's templates and static files: /api/v1/docs serves Swagger
    # UI from the package, not from a CDN, so it works with no internet.
    "ninja",
    "fillrate.core",
    "fillrate.accounts",
    "fillrate.catalog",
    "fillrate.customers",
    "fillrate.inventory",
    "fillrate.orders",
    "fillrate.purchasing",
    "fillrate.backorders",
    "fillrate.fulfilment",
    "fillrate.picking",
    "fillrate.comms",
    "fillrate.reports",
    "fillrate.workflows",
    "fillrate.api",
    "fillrate.web",
]

MIDDLEWARE = [
    "fillrate.api.contract.ApiContractMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "fillrate.web.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "fillrate.api.idempotency.IdempotencyMiddleware",
    "fillrate.web.form_keys.FormKeyMiddleware",
]

ROOT_URLCONF = "fillrate.urls"
WSGI_APPLICATION = "fillrate.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "fillrate.web.context.navigation",
                "fillrate.web.context.business",
            ],
            "builtins": ["fillrate.web.templatetags.fillrate_web"],
        },
    },
]

DEFAULT_SQLITE_PATH = VAR_DIR / "fillrate.sqlite3"
DATABASES = {
    "default": dj_database_url.config(
        env="DATABASE_URL",
        default=f"sqlite:///{DEFAULT_SQLITE_PATH}",
        conn_max_age=int(os.environ.get("FILLRATE_CONN_MAX_AGE", "60")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Concurrent writers queue on the write lock (IMMEDIATE) instead of failing
    # with "database is locked" half-way through a transaction; WAL lets
    # readers run beside the writer.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL;PRAGMA synchronous=NORMAL;",
    }
    DATABASES["default"]["TEST"] = {"NAME": None}
else:
    # Persistent connections without a health-check query per request: the
    # order hot path counts its round trips (see README, benchmarks).
    DATABASES["default"].setdefault("OPTIONS", {})
    # Parameters bound by the server, and a statement run twice on a
    # connection is prepared (Django turns psycopg's preparing off unless
    # told), so PostgreSQL parses and plans the hot path's statements once per
    # connection instead of for every order: PostgreSQL's CPU per order in
    # `fillrate bench intake` fell by about half.
    DATABASES["default"]["OPTIONS"].setdefault("server_side_binding", True)
    DATABASES["default"]["OPTIONS"].setdefault("prepare_threshold", 2)
    # A lock wait ends after 5 s with an error that `retry_on_lock_conflict`
    # retries, instead of a request hanging behind a stuck transaction.
    # No JIT compilation: the planner's costs at a million backorders switch
    # it on for list pages that then take 0.7-0.9 s compiling to run 30 ms.
    DATABASES["default"]["OPTIONS"].setdefault("options", "-c lock_timeout=5000 -c jit=off")

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "web:login"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
     "OPTIONS": {"min_length": 8}},
]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# Every answer carries this Content-Security-Policy (fillrate.web.csp): only
# the service's own scripts and styles (no inline script or style: pages use
# static files and data- attributes, htmx is told not to inject its styles or
# evaluate attributes), images also as data: URIs (Swagger UI's icons).
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"

# Behind HTTPS (a proxy that terminates TLS and sets X-Forwarded-Proto):
# cookies only over HTTPS, HSTS, and the proxy's scheme header trusted.
HTTPS = _flag("FILLRATE_HTTPS")
if HTTPS:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = _flag("FILLRATE_HTTPS_REDIRECT", True)
    SECURE_HSTS_SECONDS = int(os.environ.get("FILLRATE_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = False
    SECURE_CONTENT_TYPE_NOSNIFF = True
    CSRF_TRUSTED_ORIGINS = [f"https://{h}" for h in ALLOWED_HOSTS if h != "testserver"]

EMAIL_URL = os.environ.get("FILLRATE_EMAIL_URL", "console://")
if EMAIL_URL.startswith("console:"):
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
elif EMAIL_URL.startswith("locmem:"):
    EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
else:
    from urllib.parse import unquote, urlparse

    _email = urlparse(EMAIL_URL)
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = _email.hostname or "localhost"
    EMAIL_PORT = _email.port or 25
    EMAIL_HOST_USER = unquote(_email.username or "")
    EMAIL_HOST_PASSWORD = unquote(_email.password or "")
    EMAIL_USE_TLS = _email.scheme in {"smtp+tls", "submission"}
    EMAIL_USE_SSL = _email.scheme == "smtps"
DEFAULT_FROM_EMAIL = os.environ.get("FILLRATE_FROM_EMAIL", "fillrate@localhost")

# Links sent to customers (choice links in emails) are absolute: this is the
# address the shop's customers reach the service at.
PUBLIC_URL = os.environ.get("FILLRATE_PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/")

NINJA_PAGINATION_MAX_LIMIT = 500

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"client_errors": {"()": "fillrate.core.logs.NoTracebackForClientErrors"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["client_errors"]}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}

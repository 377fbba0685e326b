"""Logging in and out, and who may open which page."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from fillrate.accounts.permissions import Role, has_permission, roles_with
from fillrate.accounts.services import add_user
from fillrate.web.context import SECTIONS
from tests.factories import CustomerFactory, ProductFactory
from tests.web.conftest import HTMX, PASSWORD

PAGES = [
    ("web:products", []),
    ("web:product", ["SKU-X"]),
    ("web:customers", []),
    ("web:customer", ["C-X"]),
    ("web:adjust_stock", []),
    ("web:tokens", []),
    ("web:fulfil", []),
    ("web:fulfillments", []),
    ("web:fulfillment", ["FF-000001"]),
    ("web:invoices", []),
    ("web:invoices_csv", []),
    ("web:invoice", ["INV-000001"]),
    ("web:suppliers", []),
    ("web:purchase_orders", []),
    ("web:purchase_order_new", []),
    ("web:purchase_order", ["PO-000001"]),
    ("web:purchase_order_receive", ["PO-000001"]),
    ("web:purchase_order_receipt", ["PO-000001", "RC-000001"]),
    ("web:locations", []),
    ("web:location_edit", ["MAIN", "PICK"]),
    ("web:sales_reps", []),
    ("web:sales_rep", ["REP-X"]),
    ("web:users", []),
]


@pytest.mark.parametrize(("name", "args"), PAGES)
def test_every_page_sends_a_stranger_to_the_login_page(client, db, name, args):
    url = reverse(name, args=args)
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('web:login')}?next={url}"


def test_an_htmx_request_without_a_session_loads_the_login_page_whole(client, db):
    response = client.get(reverse("web:products"), {"q": "x"},
                          headers={**HTMX, "HX-Target": "product-rows"})
    assert response.status_code == 200
    assert response["HX-Redirect"].startswith(reverse("web:login") + "?next=")


def test_log_in_with_csrf_then_log_out(db):
    add_user(username="ann", role=Role.WAREHOUSE, password=PASSWORD)
    client = Client(enforce_csrf_checks=True)
    page = client.get(reverse("web:login"))
    token = page.cookies["csrftoken"].value
    assert 'name="csrfmiddlewaretoken"' in page.content.decode()

    refused = client.post(reverse("web:login"), {"username": "ann", "password": PASSWORD})
    assert refused.status_code == 403  # no CSRF token

    response = client.post(reverse("web:login"), {
        "username": "ann", "password": PASSWORD, "csrfmiddlewaretoken": token,
        "next": reverse("web:customers")})
    assert response.status_code == 302
    assert response["Location"] == reverse("web:customers")
    assert client.get(reverse("web:customers")).status_code == 200

    token = client.cookies["csrftoken"].value
    response = client.post(reverse("web:logout"), {"csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert response["Location"] == reverse("web:login")
    assert client.get(reverse("web:customers")).status_code == 302


def test_a_wrong_password_is_refused_on_the_page(client, db):
    add_user(username="ann", role=Role.WAREHOUSE, password=PASSWORD)
    response = client.post(reverse("web:login"), {"username": "ann", "password": "nope"})
    assert response.status_code == 200
    assert "correct username and password" in response.content.decode()
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize("role", [Role.SALES])
def test_a_role_without_the_permission_gets_the_403_page(login, role):
    client = login(role)
    ProductFactory(sku="SKU-1")
    for response in (client.get(reverse("web:adjust_stock")),
                     client.post(reverse("web:adjust_stock"),
                                 {"sku": "SKU-1", "quantity": 5, "reason": "found"})):
        assert response.status_code == 403
        assert "403.html" in [t.name for t in response.templates]
        assert "Not allowed" in response.content.decode()


@pytest.mark.parametrize("role", list(Role))
def test_the_navigation_lists_only_what_the_role_may_open(login, role):
    client = login(role)
    response = client.get(reverse("web:products"))
    expected = [label for label, _, permission in SECTIONS if has_permission(role, permission)]
    assert [item["label"] for item in response.context["nav"]] == expected
    for item in response.context["nav"]:
        assert client.get(item["url"]).status_code == 200, item["url"]
    html = response.content.decode()
    assert f'href="{reverse("web:tokens")}"' in html
    may_adjust = role != Role.SALES
    assert ("Adjust stock" in expected) == may_adjust
    assert (f'href="{reverse("web:adjust_stock")}"' in html) == may_adjust


def test_every_section_in_the_navigation_exists_and_names_a_known_permission():
    for _, name, permission in SECTIONS:
        reverse(name)
        roles_with(permission)


def test_the_current_section_is_marked(login):
    client = login(Role.WAREHOUSE)
    CustomerFactory(code="C-1")
    nav = client.get(reverse("web:customer", args=["C-1"])).context["nav"]
    assert [item["label"] for item in nav if item["active"]] == ["Customers"]


def test_a_403_is_logged_as_one_line_without_a_traceback(login):
    """A refusal is the client's doing: the server log says which page was
    refused, not a stack trace that reads like a crash (a 500 keeps its)."""
    import io
    import logging

    from fillrate.core.logs import NoTracebackForClientErrors

    (console,) = [h for h in logging.getLogger().handlers
                  if any(isinstance(f, NoTracebackForClientErrors) for f in h.filters)]
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.filters = console.filters  # the ones settings.LOGGING configured
    request_log = logging.getLogger("django.request")
    request_log.addHandler(handler)
    try:
        client = login(Role.SALES)
        url = reverse("web:adjust_stock")
        assert client.get(url).status_code == 403
        try:
            raise RuntimeError("boom")
        except RuntimeError:
            request_log.error("Internal Server Error: /x/", exc_info=True,
                              extra={"status_code": 500})
    finally:
        request_log.removeHandler(handler)
    logged = out.getvalue()
    assert f"Forbidden (Permission denied): {url}\n" in logged
    assert "PermissionDenied" not in logged
    assert "Internal Server Error: /x/\nTraceback" in logged and "boom" in logged

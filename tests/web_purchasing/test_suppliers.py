"""The suppliers page: the list, and adding a supplier with inline errors."""

from __future__ import annotations

import pytest

from fillrate.accounts.permissions import Role
from fillrate.purchasing.models import Supplier
from fillrate.purchasing.services import create_supplier
from tests.web_purchasing.conftest import state

pytestmark = pytest.mark.django_db

URL = "/suppliers/"


def test_the_list_shows_code_name_email_and_lead_time(admin_web, buying):
    create_supplier(code="BOLTCO", name="Bolt & Co", lead_time_days=1)
    page = admin_web.get(URL)
    assert page.status_code == 200
    html = page.content.decode()
    rows = html[html.index('id="supplier-rows"'):html.index("</table>")]
    assert rows.index("ACME-SUP") < rows.index("BOLTCO")  # by code
    assert "Acme Supplies" in rows and 'href="mailto:orders@acme.test"' in rows
    assert "10 days" in rows and "1 day<" in rows
    assert "Bolt &amp; Co" in rows
    assert "Add supplier" in html
    assert 'href="/purchase-orders/?supplier=ACME-SUP"' in rows


@pytest.mark.parametrize("role", [Role.WAREHOUSE, Role.SALES])
def test_roles_that_may_not_manage_see_the_list_without_the_form_and_cannot_post(login, buying,
                                                                                 role):
    client = login(role)
    page = client.get(URL)
    assert page.status_code == 200
    assert "ACME-SUP" in page.content.decode()
    assert "Add supplier" not in page.content.decode()
    before = state()
    response = client.post("/suppliers/new/", {"code": "NEW", "name": "New Supplier"})
    assert response.status_code == 403
    assert state() == before


def test_add_a_supplier(admin_web, db):
    response = admin_web.post("/suppliers/new/", {
        "code": "ACME", "name": " Acme Supplies ", "email": "buy@acme.test",
        "lead_time_days": "14"}, follow=True)
    assert response.redirect_chain == [(URL, 302)]
    supplier = Supplier.objects.get()
    assert (supplier.code, supplier.name, supplier.email, supplier.lead_time_days) == (
        "ACME", "Acme Supplies", "buy@acme.test", 14)
    html = response.content.decode()
    assert "Supplier ACME added." in html
    assert "buy@acme.test" in html


def test_an_empty_lead_time_is_zero_days(admin_web, db):
    assert admin_web.post("/suppliers/new/", {"code": "NOW", "name": "Now Ltd"}).status_code == 302
    assert Supplier.objects.get().lead_time_days == 0


@pytest.mark.parametrize(("data", "field", "message"), [
    ({"code": "", "name": "X"}, "code", "Enter a code."),
    ({"code": "X", "name": "  "}, "name", "Enter a name."),
    ({"code": "HAS SPACE", "name": "X"}, "code", "has no spaces"),
    ({"code": "X", "name": "X", "email": "not-an-email"}, "email", "is not an email address"),
    ({"code": "X", "name": "X", "lead_time_days": "two"}, "lead_time_days",
     "Enter a whole number of days."),
    ({"code": "X", "name": "X", "lead_time_days": "-1"}, "lead_time_days", "from 0 to 3650"),
    ({"code": "acme-sup", "name": "Again"}, "code", "exists already"),
])
def test_bad_input_is_shown_next_to_its_field_and_adds_nothing(admin_web, buying, data, field,
                                                               message):
    before = state()
    response = admin_web.post("/suppliers/new/", data)
    assert response.status_code == 200
    assert state() == before
    assert response.context["errors"] == {field: response.context["errors"][field]}
    assert message in response.context["errors"][field]
    html = response.content.decode()
    assert 'class="invalid"' in html and message.replace("&", "&amp;") in html
    # What was typed is kept, and the list is still there.
    assert f'value="{data["code"]}"' in html
    assert "Acme Supplies" in html


def test_a_stranger_is_sent_to_log_in(client, db):
    for url in (URL, "/suppliers/new/"):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/login/")

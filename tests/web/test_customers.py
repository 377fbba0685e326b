"""The customer list with search, and the customer page."""

from __future__ import annotations

from django.urls import reverse

from fillrate.accounts.permissions import Role
from fillrate.core.events import record_event
from tests.factories import CustomerFactory, SalesRepFactory
from tests.web.conftest import HTMX


def test_the_list_searches_code_name_and_email(login, db):
    rep = SalesRepFactory(name="Chloe Martin")
    CustomerFactory(code="C-BEAN", name="Bean There", sales_rep=rep, vip=True)
    CustomerFactory(code="C-IVY", name="Ivy Lane", email="buyer@ivy.example")
    client = login(Role.WAREHOUSE)
    response = client.get(reverse("web:customers"))
    assert [c.code for c in response.context["page"]] == ["C-BEAN", "C-IVY"]
    html = response.content.decode()
    assert "Chloe Martin" in html and 'class="badge vip"' in html
    for q, expected in (("bean", ["C-BEAN"]), ("IVY.example", ["C-IVY"]), ("lane", ["C-IVY"])):
        response = client.get(reverse("web:customers"), {"q": q})
        assert [c.code for c in response.context["page"]] == expected, q


def test_htmx_search_answers_with_the_rows_partial_only(admin_web, db):
    CustomerFactory(code="C-BEAN", name="Bean There")
    CustomerFactory(code="C-IVY", name="Ivy Lane")
    response = admin_web.get(reverse("web:customers"), {"q": "ivy"},
                             headers={**HTMX, "HX-Target": "customer-rows"})
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="customer-rows">')
    assert "<header" not in html and "C-IVY" in html and "C-BEAN" not in html


def test_the_customer_page_shows_contact_details_and_newest_history_first(admin_web, db):
    customer = CustomerFactory(code="C-BEAN", name="Bean There", phone="+44 20 7946 0014",
                               delivery_address="98 High Street\nNorwich")
    for n in range(25):
        record_event(type="CustomerUpdated", subject_type="customer", subject="C-BEAN",
                     payload={"n": n})
    response = admin_web.get(reverse("web:customer", args=["C-BEAN"]))
    assert response.status_code == 200
    assert response.context["customer"] == customer
    events = list(response.context["events"])
    assert len(events) == 20 and events[0].payload == {"n": 24}
    html = response.content.decode()
    assert 'href="tel:+442079460014"' in html and "98 High Street" in html


def test_an_unknown_customer_is_a_404_page(admin_web, db):
    response = admin_web.get(reverse("web:customer", args=["C-NOPE"]))
    assert response.status_code == 404
    assert "no customer" in response.content.decode()

"""Every state-changing form carries a one-time key; a resubmission replays."""

from __future__ import annotations

import re

import pytest

from fillrate.accounts.permissions import Role
from fillrate.inventory.models import StockMovement
from fillrate.web.form_keys import ALREADY_SAVED
from fillrate.web.models import FormSubmission
from tests.factories import CustomerFactory, LocationFactory, ProductFactory
from tests.helpers import db_state

POST_FORM = re.compile(r'<form[^>]*method="post"[^>]*>(.*?)</form>', re.S)


def post_forms(html: str) -> list[str]:
    return [f for f in POST_FORM.findall(html) if "Log out" not in f]


@pytest.mark.parametrize("url", ["/stock/adjust/", "/account/tokens/", "/orders/new/",
                                 "/settings/", "/purchase-orders/new/", "/suppliers/"])
def test_every_post_form_of_a_page_has_a_fresh_key(admin_web, url):
    html = admin_web.get(url).content.decode()
    forms = post_forms(html)
    assert forms, url
    for form in forms:
        assert re.search(r'name="form_key" value="" data-form-key="[\w-]{20,}"', form), form[:200]
    again = admin_web.get(url).content.decode()
    key = re.compile(r'name="form_key" value="" data-form-key="([^"]+)"')
    assert not set(key.findall(html)) & set(key.findall(again))


@pytest.fixture
def product(db):
    LocationFactory(code="A-01", kind="pick")
    return ProductFactory(sku="WIDGET")


def test_adjusting_stock_twice_with_one_key_adjusts_once(login, product):
    client = login(Role.WAREHOUSE)
    data = {"sku": "WIDGET", "location": "", "quantity": "5", "reason": "found",
            "note": "", "form_key": "k-adjust-1"}
    first = client.post("/stock/adjust/", data)
    assert first.status_code == 302
    moved = StockMovement.objects.count()
    after = db_state()
    again = client.post("/stock/adjust/", data, follow=True)
    assert again.redirect_chain == [(first["Location"], 302)]
    assert ALREADY_SAVED in again.content.decode()
    assert StockMovement.objects.count() == moved
    assert db_state() == after


def test_a_post_without_a_key_still_works(login, product):
    client = login(Role.WAREHOUSE)
    data = {"sku": "WIDGET", "location": "", "quantity": "2", "reason": "found", "note": ""}
    assert client.post("/stock/adjust/", data).status_code == 302
    assert client.post("/stock/adjust/", data).status_code == 302
    assert not FormSubmission.objects.exists()


def test_an_htmx_fragment_is_replayed_as_it_was(admin_web, product):
    from fillrate.orders.services import LineInput
    from fillrate.workflows.place_order import place_order
    from tests.web.conftest import HTMX

    CustomerFactory(code="C-ONE")
    backorder = place_order(customer="C-ONE", lines=[LineInput("WIDGET", 3)]).backorders[0]
    url = f"/backorders/{backorder.number}/edit/notes/"
    data = {"notes": "call Tuesday", "form_key": "k-notes"}
    first = admin_web.post(url, data, headers=HTMX)
    assert first.status_code == 200
    events = db_state()
    again = admin_web.post(url, {"notes": "something else", "form_key": "k-notes"},
                           headers=HTMX)
    assert again["Form-Replayed"] == "true"
    assert again.content == first.content
    assert db_state() == events
    backorder.refresh_from_db()
    assert backorder.notes == "call Tuesday"


def test_the_order_preview_claims_no_key(admin_web, product):
    CustomerFactory(code="C-ONE")
    response = admin_web.post("/orders/new/shortfall/", {
        "customer": "C-ONE", "form_key": "k-order", "sku-a": "WIDGET", "qty-a": "1"})
    assert response.status_code == 200
    assert not FormSubmission.objects.exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("threads", [2, 6])
def test_a_form_sent_at_once_from_several_tabs_has_one_effect(login, threads):
    """Double clicks race: the later requests wait on the key's unique index
    until the first commits, then replay its redirect. (PostgreSQL: the
    in-memory SQLite test database answers a session read during another
    write with "table is locked" instead of waiting.)"""
    import threading

    from django.db import connection
    from django.test import Client

    from fillrate.inventory.selectors import product_with_stock

    LocationFactory(code="A-01", kind="pick")
    ProductFactory(sku="WIDGET")
    cookies = login(Role.WAREHOUSE).cookies
    data = {"sku": "WIDGET", "location": "", "quantity": "4", "reason": "found",
            "note": "", "form_key": "k-race"}
    barrier = threading.Barrier(threads)
    responses: list = [None] * threads
    errors: list[BaseException] = []

    def worker(i: int) -> None:
        try:
            client = Client()
            client.cookies = cookies
            barrier.wait(timeout=10)
            responses[i] = client.post("/stock/adjust/", data)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    pool = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join(timeout=30)
    assert not errors, errors
    assert {r.status_code for r in responses} == {302}
    assert len({r["Location"] for r in responses}) == 1
    assert StockMovement.objects.filter(reason="found").count() == 1
    assert product_with_stock("WIDGET").on_hand == 4
    assert FormSubmission.objects.count() == 1

"""The customer's choice page: the link from `GET /backorders/{n}/choice-link`
opens the backorder without a login; each choice goes through the staff
workflows and is logged; bad, expired and used links are plain pages."""

from __future__ import annotations

from datetime import timedelta
from unittest import mock

import pytest
from django.core import signing
from django.test import Client

from fillrate.backorders.models import Backorder, ChoiceLinkUse, Communication
from fillrate.core.business import change_settings
from fillrate.fulfilment.models import Fulfillment
from fillrate.orders.models import Credit, SalesOrder
from fillrate.web.choice_views import BAD_LINKS
from fillrate.workflows.payments import pay_order
from fillrate.workflows.substitute import SubstituteLine, propose_substitutes
from tests.factories import ProductFactory
from tests.orders.support import allocate_to_backorder, place, snapshot


@pytest.fixture
def shop(store):
    change_settings(changes={"shop_name": "Acme Supplies", "contact_email": "help@acme.test",
                             "contact_phone": "+1 555 0100"})
    return store


@pytest.fixture
def waiting(shop):
    """5 GADGET ordered, 3 in stock: BO for 2 at 10.00."""
    return place("C-ACME", ("GADGET", 5))


def link_path(api, number) -> str:
    r = api.get(f"/api/v1/backorders/{number}/choice-link")
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["backorder"] == number
    assert body["url"].startswith("http://127.0.0.1:8000/choice/")
    return body["url"].removeprefix("http://127.0.0.1:8000")


def test_the_link_opens_the_backorder_without_a_login(api, waiting, client):
    other = place("C-VIP", ("BOLT", 7)).backorders[0]
    page = client.get(link_path(api, waiting.backorders[0].number))
    assert page.status_code == 200
    body = page.content.decode()
    assert waiting.backorders[0].number in body and waiting.order.number in body
    assert "Acme Supplies" in body and "help@acme.test" in body
    assert 'name="csrfmiddlewaretoken"' in body
    assert 'value="wait"' in body and 'value="partial"' in body and 'value="cancel"' in body
    assert 'value="substitute"' not in body  # none proposed
    assert "owed back" not in body  # nothing was paid
    assert other.number not in body and other.customer.name not in body
    assert page["Cache-Control"].startswith("max-age=0")


def test_ship_what_is_ready_now_ships_partly_even_with_partial_shipments_off(api, shop,
                                                                             client, stock):
    change_settings(changes={"partial_shipments": False})
    placed = place("C-ACME", ("GADGET", 5))
    bo = placed.backorders[0].number
    assert SalesOrder.objects.get(id=placed.order.id).ship_complete
    stock(shop.gadget, 1)
    allocate_to_backorder(bo, "GADGET", 1)
    path = link_path(api, bo)
    done = client.post(path, {"choice": "partial"})
    assert done.status_code == 200, done.content
    assert "Ship what is ready now" in done.content.decode()
    fulfillments = list(Fulfillment.objects.order_by("id"))
    assert [sum(x.quantity for x in f.lines.all()) for f in fulfillments] == [3, 1]
    assert fulfillments[1].backorder_id == placed.backorders[0].id
    assert not SalesOrder.objects.get(id=placed.order.id).ship_complete
    comm = Communication.objects.get()
    assert (comm.method, comm.preference, comm.created_by) == ("link", "partial", None)
    assert fulfillments[1].number in comm.summary
    detail = api.get(f"/api/v1/backorders/{bo}").json()
    assert detail["communications"][0]["method"] == "link"
    (made,) = [e for e in detail["events"] if e["type"] == "BackorderChoiceMade"]
    assert made["payload"]["choice"] == "partial" and made["payload"]["ships_in_parts"] is True
    # used: the same link again is the used page, and changes nothing
    before = snapshot()
    again = client.post(path, {"choice": "cancel"})
    assert again.status_code == 410 and "already been used" in again.content.decode()
    assert client.get(path).status_code == 410
    assert snapshot() == before


def test_wait_changes_nothing_but_the_log(api, waiting, client):
    bo = waiting.backorders[0].number
    path = link_path(api, bo)
    before = snapshot()
    assert client.post(path, {"choice": "wait"}).status_code == 200
    after = snapshot()
    assert after["backorders"] == before["backorders"]
    assert after["lines"] == before["lines"]
    assert after["communications"] == 1
    assert ChoiceLinkUse.objects.get().choice == "wait"


def test_cancel_is_customer_requested_and_money_is_owed_back(api, shop, client):
    change_settings(changes={"charge_backorders_on_shipment": False})
    placed = place("C-ACME", ("GADGET", 5))
    pay_order(number=placed.order.number)
    bo = placed.backorders[0].number
    path = link_path(api, bo)
    assert "the $20.00 you paid for it is owed back" in client.get(path).content.decode()
    done = client.post(path, {"choice": "cancel"})
    assert done.status_code == 200
    assert Credit.objects.get().number in done.content.decode()
    backorder = Backorder.objects.get(id=placed.backorders[0].id)
    assert (backorder.status, backorder.cancel_reason) == ("cancelled", "customer_requested")
    assert Credit.objects.get().amount == 20
    assert Communication.objects.get().preference == "cancel"


def test_accepting_the_proposed_substitute(api, waiting, client, stock):
    stock(ProductFactory(sku="SPROCKET", name="Sprocket", list_price="12.00"), 5)
    bo = waiting.backorders[0].number
    path = link_path(api, bo)
    # Offered only once proposed; asking for it before is refused, link still usable.
    before = snapshot()
    refused = client.post(path, {"choice": "substitute"})
    assert refused.status_code == 422 and snapshot() == before
    propose_substitutes(number=bo, lines=[SubstituteLine("GADGET", "SPROCKET", 2)])
    page = client.get(path).content.decode()
    assert 'value="substitute"' in page and "Sprocket" in page
    assert client.post(path, {"choice": "substitute"}).status_code == 200
    detail = api.get(f"/api/v1/backorders/{bo}").json()
    assert detail["status"] == "cancelled" and detail["cancel_reason"] == "substituted"
    assert [s["status"] for s in detail["substitutions"]] == ["applied"]
    assert detail["communications"][0]["preference"] == "substitute"


def test_a_tampered_link_is_a_plain_page_with_the_contact(api, waiting, client):
    path = link_path(api, waiting.backorders[0].number)
    token = path.split("/")[2]
    forged = signing.dumps({"b": waiting.backorders[0].id, "n": "x"}, salt="guess")
    for bad in (f"/choice/{token[:-3]}abc/", f"/choice/{forged}/", "/choice/nonsense/"):
        page = client.get(bad)
        body = page.content.decode()
        assert page.status_code == 404 and "This link is not valid" in body
        assert "help@acme.test" in body and "+1 555 0100" in body
        assert waiting.backorders[0].number not in body and "Traceback" not in body
        assert client.post(bad, {"choice": "cancel"}).status_code == 404
    assert not ChoiceLinkUse.objects.exists()


def test_an_expired_link_is_the_expired_page(api, waiting, client):
    path = link_path(api, waiting.backorders[0].number)
    later = signing.time.time() + timedelta(days=15).total_seconds()
    before = snapshot()
    with mock.patch("django.core.signing.time.time", return_value=later):
        page = client.get(path)
        posted = client.post(path, {"choice": "cancel"})
    assert page.status_code == 410 and "This link has expired" in page.content.decode()
    assert posted.status_code == 410 and snapshot() == before


def test_the_form_needs_its_csrf_token(api, waiting):
    strict = Client(enforce_csrf_checks=True)
    path = link_path(api, waiting.backorders[0].number)
    before = snapshot()
    assert strict.post(path, {"choice": "cancel"}).status_code == 403
    assert snapshot() == before and not ChoiceLinkUse.objects.exists()
    page = strict.get(path)
    token = page.cookies["csrftoken"].value
    assert strict.post(path, {"choice": "wait", "csrfmiddlewaretoken": token}).status_code == 200


def test_guessing_links_is_rate_limited(api, waiting, client):
    good = link_path(api, waiting.backorders[0].number)
    for i in range(BAD_LINKS):
        assert client.get(f"/choice/guess{i}/").status_code == 404
    assert client.get("/choice/one-more/").status_code == 429
    refused = client.get(good)
    assert refused.status_code == 429 and "Too many tries" in refused.content.decode()


def test_a_closed_backorder_has_nothing_to_choose(api, waiting, client):
    bo = waiting.backorders[0].number
    path = link_path(api, bo)
    api.post(f"/api/v1/backorders/{bo}/cancel", {"reason": "excessive_delay"})
    page = client.get(path)
    assert page.status_code == 409 and "Nothing is waiting any more" in page.content.decode()
    r = api.get(f"/api/v1/backorders/{bo}/choice-link")
    assert r.status_code == 409 and r.json()["error"]["code"] == "backorders.closed"
    assert api.get("/api/v1/backorders/BO-999999/choice-link").status_code == 404


def test_the_staff_page_offers_the_link_to_copy_and_shows_the_choice(admin_web, api,
                                                                      waiting, client):
    bo = waiting.backorders[0].number
    page = admin_web.get(f"/backorders/{bo}/").content.decode()
    assert 'id="copy-choice-link"' in page and "http://127.0.0.1:8000/choice/" in page
    client.post(link_path(api, bo), {"choice": "wait"})
    page = admin_web.get(f"/backorders/{bo}/").content.decode()
    assert "Link" in page and "The customer chose to wait for the stock." in page
    assert "Wait for stock" in page


def test_an_unknown_choice_changes_nothing_and_keeps_the_link(api, waiting, client):
    path = link_path(api, waiting.backorders[0].number)
    before = snapshot()
    for form in ({"choice": "refund-me-twice"}, {}):
        page = client.post(path, form)
        assert page.status_code == 422 and "Choose one of the options" in page.content.decode()
    assert snapshot() == before and not ChoiceLinkUse.objects.exists()
    assert client.post(path, {"choice": "wait"}).status_code == 200


@pytest.mark.parametrize(("changes", "field"), [
    ({"shop_name": "  "}, "shop_name"),
    ({"shop_name": "x" * 101}, "shop_name"),
    ({"contact_email": "not an address"}, "contact_email"),
    ({"contact_phone": "call me maybe"}, "contact_phone"),
    ({"contact_phone": 5550100}, "contact_phone"),
])
def test_bad_shop_contact_settings_are_422_and_change_nothing(api, db, changes, field):
    before = api.get("/api/v1/settings").json()
    r = api.patch("/api/v1/settings", changes)
    assert r.status_code == 422, r.content
    assert r.json()["error"]["field"] == field
    assert api.get("/api/v1/settings").json() == before


def test_the_settings_page_changes_the_shop_contact(admin_web, api, db):
    form = {k: v for k, v in api.get("/api/v1/settings").json().items()
            if not isinstance(v, bool)}
    form.update({"partial_shipments": "on", "charge_backorders_on_shipment": "on",
                 "notify_customers": "on", "shop_name": "Harbour Goods",
                 "contact_email": "hi@harbour.test", "contact_phone": "+44 20 7946 0001"})
    assert admin_web.post("/settings/", form).status_code == 302
    got = api.get("/api/v1/settings").json()
    assert (got["shop_name"], got["contact_email"], got["contact_phone"]) == (
        "Harbour Goods", "hi@harbour.test", "+44 20 7946 0001")
    form["contact_email"] = "nope"
    page = admin_web.post("/settings/", form).content.decode()
    assert "is not an email address" in page
    assert api.get("/api/v1/settings").json()["contact_email"] == "hi@harbour.test"


def test_behind_the_trusted_proxy_the_limit_is_per_client(api, waiting, client, settings):
    settings.HTTPS = True
    for i in range(BAD_LINKS):
        client.get(f"/choice/guess{i}/", headers={"X-Forwarded-For": "203.0.113.9"},
                   secure=True)
    blocked = client.get("/choice/x/", headers={"X-Forwarded-For": "203.0.113.9"}, secure=True)
    assert blocked.status_code == 429
    other = client.get("/choice/x/", headers={"X-Forwarded-For": "1.2.3.4, 198.51.100.7"},
                       secure=True)
    assert other.status_code == 404

"""The fulfillable backorders page: what is listed, "Fulfil all", a partial
quantity per line ("Filled"), all of one product, and refusals that are
shown next to the input and change nothing."""

from __future__ import annotations

import pytest

from fillrate.backorders.models import BackorderLine
from fillrate.core.business import change_settings
from fillrate.fulfilment.models import Fulfillment
from fillrate.workflows.fulfil import fulfil_backorder
from tests.fulfilment.support import lines_of
from tests.helpers import db_state

pytestmark = pytest.mark.django_db


def bean_line(backorder) -> BackorderLine:
    return BackorderLine.objects.get(backorder_id=backorder.id, product__sku="COF-ESP-1KG")


def only_fulfillment() -> Fulfillment:
    (made,) = Fulfillment.objects.all()
    return made


def test_lists_backorders_holding_stock_with_what_is_ready_per_line(admin_web, waiting,
                                                                    short_order):
    response = admin_web.get("/fulfil/")
    assert response.status_code == 200
    body = response.content.decode()
    cards = [c.backorder.number for c in response.context["cards"]]
    # C-BEAN's kettle backorder (short_order) holds nothing: it is not listed
    assert cards == [waiting.bean.number, waiting.wharf.number]
    assert short_order.backorders[0].number not in body
    ready = {c.backorder.number: [(x.line.product.sku, x.free) for x in c.lines]
             for c in response.context["cards"]}
    assert ready == {waiting.bean.number: [("COF-ESP-1KG", 5)],
                     waiting.wharf.number: [("COF-ESP-1KG", 2)]}
    line = bean_line(waiting.bean)
    assert f'name="qty-{line.id}"' in body and 'max="5"' in body
    products = response.context["products"]
    assert [(p.sku, p.backorders, p.units) for p in products] == [("COF-ESP-1KG", 2, 7)]
    assert "Fulfil all for this product" in body


def test_filters_by_product_customer_and_backorder(admin_web, waiting):
    def listed(**params):
        return [c.backorder.number for c in admin_web.get("/fulfil/", params).context["cards"]]

    assert listed(customer="C-WHARF") == [waiting.wharf.number]
    # the product totals stay product-wide: the batch button fulfils every customer's
    products = admin_web.get("/fulfil/", {"customer": "C-WHARF"}).context["products"]
    assert [(p.sku, p.backorders, p.units) for p in products] == [("COF-ESP-1KG", 2, 7)]
    assert listed(backorder=waiting.bean.number) == [waiting.bean.number]
    assert listed(sku="KIT-FRN-3") == []
    assert listed(sku="COF-ESP-1KG") == [waiting.bean.number, waiting.wharf.number]
    assert listed(backorder="nonsense") == []


def test_fulfil_all_queues_every_allocated_unit_and_names_the_fulfillment(admin_web, waiting):
    response = admin_web.post(f"/fulfil/{waiting.bean.number}/",
                              {"action": "all", "query": "customer=C-BEAN"})
    made = only_fulfillment()
    assert response.status_code == 302
    assert response["Location"] == "/fulfil/?customer=C-BEAN"
    assert (made.status, made.backorder_id, made.created_by_id) == (
        "queued", waiting.bean.id, admin_web.user.id)
    assert lines_of(made) == [("COF-ESP-1KG", 5, True)]
    page = admin_web.get(response["Location"])
    body = page.content.decode()
    assert f'<a href="/fulfillments/{made.number}/">{made.number}</a>' in body
    assert f"{waiting.bean.number}: 5 units: fulfillment queued" in body
    # queued units are spoken for: the backorder leaves the list
    assert waiting.bean.number not in [c.backorder.number for c in page.context["cards"]]
    assert bean_line(waiting.bean).allocated == 5  # stock leaves on dispatch, not before


def test_a_partial_quantity_fulfils_only_that_and_the_rest_stays_ready(admin_web, waiting):
    line = bean_line(waiting.bean)
    response = admin_web.post(f"/fulfil/{waiting.bean.number}/",
                              {"action": "lines", f"qty-{line.id}": "2"})
    assert response.status_code == 302 and response["Location"] == "/fulfil/"
    made = only_fulfillment()
    assert lines_of(made) == [("COF-ESP-1KG", 2, True)]
    page = admin_web.get("/fulfil/")
    card = next(c for c in page.context["cards"] if c.backorder == waiting.bean)
    assert [(x.line.allocated, x.line.pending, x.free) for x in card.lines] == [(5, 2, 3)]
    assert f'data-testid="ready-{waiting.bean.number}-COF-ESP-1KG">3<' in page.content.decode()


@pytest.mark.parametrize(("typed", "message"), [
    ("6", "COF-ESP-1KG: 5 allocated and not on a fulfillment yet, cannot fulfil 6"),
    ("0", "Enter a whole number of units, at least 1."),
    ("-1", "Enter a whole number of units, at least 1."),
    ("two", "Enter a whole number of units, at least 1."),
])
def test_a_refused_quantity_is_shown_at_its_line_and_changes_nothing(admin_web, waiting,
                                                                     typed, message):
    line = bean_line(waiting.bean)
    before = db_state()
    response = admin_web.post(f"/fulfil/{waiting.bean.number}/",
                              {"action": "lines", f"qty-{line.id}": typed})
    assert response.status_code == 200
    assert db_state() == before
    card = next(c for c in response.context["cards"] if c.backorder == waiting.bean)
    assert [(x.typed, x.error) for x in card.lines] == [(typed, message)]
    body = response.content.decode()
    assert f'<span class="error" role="alert">{message}</span>' in body
    assert f'value="{typed}"' in body


def test_a_refusal_on_a_card_is_said_at_the_top_and_the_page_opens_at_the_card(
        admin_web, waiting):
    """The card may be far down the page: the answer scrolls to it (the form
    posts to the card's anchor) and the top of the page says it too."""
    line = bean_line(waiting.bean)
    page = admin_web.get("/fulfil/").content.decode()
    number = waiting.bean.number
    assert f'action="/fulfil/{number}/#ff-{number}"' in page
    response = admin_web.post(f"/fulfil/{number}/", {"action": "lines", f"qty-{line.id}": "50"})
    body = response.content.decode()
    assert response.context["page_error_anchor"] == f"ff-{number}"
    assert f'<a href="#ff-{number}">{number}</a>: COF-ESP-1KG:' in body
    assert f'id="ff-{number}"' in body


def test_no_quantity_at_all_asks_for_one(admin_web, waiting):
    before = db_state()
    response = admin_web.post(f"/fulfil/{waiting.bean.number}/", {"action": "lines"})
    assert db_state() == before
    assert "Enter the units to fulfil on at least one line" in response.content.decode()


def test_a_backorder_with_nothing_left_to_fulfil_is_refused_inline(admin_web, waiting):
    fulfil_backorder(number=waiting.bean.number)  # someone else was quicker
    before = db_state()
    response = admin_web.post(f"/fulfil/{waiting.bean.number}/", {"action": "all"})
    assert response.status_code == 200
    assert db_state() == before
    assert response.context["page_error"] == (
        f"{waiting.bean.number} has no allocated stock that is not on a fulfillment yet")
    assert "has no allocated stock that is not on a fulfillment yet" in response.content.decode()


def test_units_someone_else_queued_meanwhile_are_refused_where_they_are_seen(admin_web,
                                                                             waiting):
    line = bean_line(waiting.bean)
    fulfil_backorder(number=waiting.bean.number)  # the backorder leaves the page
    before = db_state()
    response = admin_web.post(f"/fulfil/{waiting.bean.number}/", {f"qty-{line.id}": "1"})
    assert db_state() == before
    assert response.context["page_error"] == (
        "COF-ESP-1KG: 0 allocated and not on a fulfillment yet, cannot fulfil 1")
    assert (f"{waiting.bean.number}: COF-ESP-1KG: 0 allocated and not on a fulfillment yet"
            in response.content.decode())


def test_an_unknown_backorder_is_404(admin_web, waiting):
    response = admin_web.post("/fulfil/BO-999999/", {"action": "all"})
    assert response.status_code == 404
    assert Fulfillment.objects.count() == 0


def test_fulfil_all_for_a_product_makes_one_fulfillment_per_backorder(admin_web, waiting):
    response = admin_web.post("/fulfil/by-product/", {"sku": "COF-ESP-1KG"})
    assert response.status_code == 302
    made = list(Fulfillment.objects.order_by("id"))
    assert [(f.backorder_id, lines_of(f)) for f in made] == [
        (waiting.bean.id, [("COF-ESP-1KG", 5, True)]),
        (waiting.wharf.id, [("COF-ESP-1KG", 2, True)])]
    body = admin_web.get("/fulfil/").content.decode()
    assert "COF-ESP-1KG: 2 fulfillments queued:" in body
    for f in made:
        assert f'<a href="/fulfillments/{f.number}/">{f.number}</a>' in body
    assert "No backorder has stock waiting to ship." in body


def test_a_product_with_nothing_waiting_is_refused_inline(admin_web, waiting):
    before = db_state()
    response = admin_web.post("/fulfil/by-product/", {"sku": "KIT-FRN-3"})
    assert response.status_code == 200
    assert db_state() == before
    assert ("KIT-FRN-3: no backorder holds units of KIT-FRN-3 that can be fulfilled now"
            in response.content.decode())
    unknown = admin_web.post("/fulfil/by-product/", {"sku": "NOPE"})
    assert unknown.status_code == 200 and db_state() == before
    assert "NOPE" in unknown.context["page_error"]


def test_with_partial_shipments_off_only_ready_backorders_are_listed(admin_web, waiting):
    change_settings(changes={"partial_shipments": False})
    cards = admin_web.get("/fulfil/").context["cards"]
    assert [c.backorder.number for c in cards] == [waiting.bean.number]


def test_backorder_pages_link_to_fulfilment_and_list_its_fulfillments(admin_web, waiting):
    listing = admin_web.get("/backorders/").content.decode()
    assert 'href="/fulfil/">Fulfillable backorders</a>' in listing
    detail = admin_web.get(f"/backorders/{waiting.bean.number}/")
    body = detail.content.decode()
    assert f'href="/fulfil/?backorder={waiting.bean.number}">Fulfil</a>' in body
    assert "5 held units can ship now" in body
    assert "Nothing of this backorder has been put on a fulfillment yet." in body

    line = bean_line(waiting.bean)
    admin_web.post(f"/fulfil/{waiting.bean.number}/", {f"qty-{line.id}": "2"})
    made = only_fulfillment()
    body = admin_web.get(f"/backorders/{waiting.bean.number}/").content.decode()
    assert f'<a href="/fulfillments/{made.number}/">{made.number}</a>' in body
    assert "3 held units can ship now" in body
    assert detail.context["fulfilment"].free == 5

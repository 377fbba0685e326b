"""The backorder list (filters in the URL, counts, flags) and the detail
page (inline edits, communications, the cancel dialog)."""

from __future__ import annotations

import pytest

from fillrate.backorders.models import Backorder, Communication
from fillrate.orders.services import LineInput
from fillrate.workflows.place_order import place_order
from tests.helpers import db_state
from tests.web_orders.conftest import HTMX

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_backorders(short_order):
    other = place_order(customer="C-WHARF", lines=[LineInput("COF-ESP-1KG", 4)])
    return short_order.backorders[0], other.backorders[0]


def test_list_shows_counts_flags_age_and_value(admin_web, two_backorders):
    bean, wharf = two_backorders
    body = admin_web.get("/backorders/").content.decode()
    assert bean.number in body and wharf.number in body
    assert 'Active <span class="count-badge">2</span>' in body
    assert 'Cancelled <span class="count-badge">0</span>' in body
    assert '<span class="badge vip">VIP</span>' in body  # C-BEAN is VIP
    assert "0 d" in body and "30.00" in body  # 3 kettles at 10.00


def test_filters_are_kept_in_the_url_and_narrow_the_list(admin_web, two_backorders):
    bean, wharf = two_backorders
    body = admin_web.get("/backorders/", {"customer": "C-BEAN", "sku": "KIT-KET-GOO"}
                         ).content.decode()
    assert bean.number in body and wharf.number not in body
    assert 'name="customer" value="C-BEAN"' in body and 'name="sku" value="KIT-KET-GOO"' in body
    # status tabs keep the other filters
    assert 'href="?status=active&amp;customer=C-BEAN&amp;sku=KIT-KET-GOO&amp;ordering=' \
           not in body  # ordering empty is dropped
    assert 'href="?status=active&amp;customer=C-BEAN&amp;sku=KIT-KET-GOO"' in body
    for params, shown in [({"sales_rep": "REP-ANNA"}, bean), ({"priority": "normal"}, None),
                          ({"expected": "none"}, None), ({"fulfillable": "no"}, None),
                          ({"ordering": "-created"}, None), ({"status": "open"}, None)]:
        page = admin_web.get("/backorders/", params).content.decode()
        assert bean.number in page
        if shown is bean:
            assert wharf.number not in page
    assert wharf.number not in admin_web.get("/backorders/", {"fulfillable": "yes"}
                                             ).content.decode()


def test_htmx_filter_request_gets_only_the_results(admin_web, two_backorders):
    bean, wharf = two_backorders
    body = admin_web.get("/backorders/", {"sku": "COF-ESP-1KG"},
                         headers={**HTMX, "HX-Target": "backorder-results"}).content.decode()
    assert body.lstrip().startswith('<div id="backorder-results">')
    assert "<html" not in body and wharf.number in body and bean.number not in body


@pytest.mark.parametrize("params,message", [
    ({"status": "lost"}, "unknown status"), ({"priority": "urgent"}, "priority is normal"),
    ({"expected": "soon"}, "expected is one of"), ({"ordering": "age"}, "ordering is one of"),
    ({"fulfillable": "maybe"}, "Fulfillable is yes or no"),
])
def test_invalid_filters_are_explained(admin_web, two_backorders, params, message):
    response = admin_web.get("/backorders/", params)
    assert response.status_code == 200
    assert message in response.content.decode()


def test_detail_shows_customer_order_lines_stock_and_events(admin_web, two_backorders):
    bean, _ = two_backorders
    body = admin_web.get(f"/backorders/{bean.number}/").content.decode()
    assert "Bean There Coffee" in body and f'href="/orders/{bean.order.number}/"' in body
    assert 'data-testid="available-KIT-KET-GOO">0<' in body
    assert "Backorder opened" in body and "<dialog" in body
    assert admin_web.get("/backorders/BO-999999/").status_code == 404


def test_inline_edit_form_and_save(admin_web, two_backorders):
    bean, _ = two_backorders
    url = f"/backorders/{bean.number}/edit/expected_date/"
    form = admin_web.get(url, headers=HTMX).content.decode()
    assert '<input type="date" name="expected_date"' in form and "<html" not in form
    saved = admin_web.post(url, {"expected_date": "2031-02-03"}, headers=HTMX).content.decode()
    assert "2031-02-03" in saved and "Saved" in saved
    assert 'id="events" hx-swap-oob="true"' in saved and "Backorder expected date changed" in saved
    assert Backorder.objects.get(id=bean.id).expected_date.isoformat() == "2031-02-03"
    admin_web.post(f"/backorders/{bean.number}/edit/priority/", {"priority": "high"},
                   headers=HTMX)
    admin_web.post(f"/backorders/{bean.number}/edit/notes/", {"notes": "call Fri"},
                   headers=HTMX)
    b = Backorder.objects.get(id=bean.id)
    assert (b.priority, b.notes) == ("high", "call Fri")
    assert admin_web.get(f"/backorders/{bean.number}/edit/status/", headers=HTMX
                         ).status_code == 404


@pytest.mark.parametrize("name,value,message", [
    ("expected_date", "3 Feb", "Enter a date as YYYY-MM-DD"),
    ("priority", "urgent", "priority must be one of"),
])
def test_inline_edit_errors_nothing_changed(admin_web, two_backorders, name, value, message):
    bean, _ = two_backorders
    before = db_state()
    body = admin_web.post(f"/backorders/{bean.number}/edit/{name}/", {name: value},
                          headers=HTMX).content.decode()
    assert message in body and "<form" in body
    assert db_state() == before


def test_communications_are_added_with_htmx(admin_web, two_backorders):
    bean, _ = two_backorders
    url = f"/backorders/{bean.number}/communications/"
    before = db_state()
    bad = admin_web.post(url, {"method": "phone", "summary": " "}, headers=HTMX).content.decode()
    assert "Say what was said or agreed." in bad and db_state() == before
    ok = admin_web.post(url, {"method": "email", "summary": "Will wait two weeks",
                              "next_follow_up": "2031-01-01"}, headers=HTMX).content.decode()
    assert ok.lstrip().startswith('<section class="card" id="communications"')
    assert "Will wait two weeks" in ok and "Customer contacted" in ok
    assert Communication.objects.get().next_follow_up.isoformat() == "2031-01-01"


@pytest.mark.parametrize("form,message", [
    ({"reason": ""}, "Choose a reason."),
    ({"reason": "other", "notes": ""}, "Explain the reason"),
    ({"reason": "bored"}, "reason must be one of"),
    ({"reason": "excessive_delay", "qty-LINE": "99"}, "can cancel 1 to 3"),
])
def test_cancel_dialog_errors_nothing_changed(admin_web, two_backorders, form, message):
    bean, _ = two_backorders
    line = bean.lines.get()
    form = {k.replace("LINE", str(line.id)): v for k, v in form.items()}
    before = db_state()
    response = admin_web.post(f"/backorders/{bean.number}/cancel/", form, headers=HTMX)
    body = response.content.decode()
    assert response.status_code == 200
    assert body.lstrip().startswith('<form id="cancel-form"') and message in body
    assert db_state() == before
    full = admin_web.post(f"/backorders/{bean.number}/cancel/", form).content.decode()
    assert "data-open" in full and message in full  # without htmx the dialog reopens


def test_cancel_whole_backorder(admin_web, two_backorders):
    bean, _ = two_backorders
    response = admin_web.post(f"/backorders/{bean.number}/cancel/",
                              {"reason": "other", "notes": "found it elsewhere"}, headers=HTMX)
    assert response["HX-Redirect"] == f"/backorders/{bean.number}/"
    b = Backorder.objects.get(id=bean.id)
    assert (b.status, b.cancel_reason, b.cancel_notes) == ("cancelled", "other",
                                                            "found it elsewhere")
    page = admin_web.get(f"/backorders/{bean.number}/").content.decode()
    assert "Cancel backorder</button>" not in page and "found it elsewhere" in page


def test_cancel_some_units(admin_web, two_backorders):
    bean, _ = two_backorders
    line = bean.lines.get()
    admin_web.post(f"/backorders/{bean.number}/cancel/",
                   {"reason": "excessive_delay", f"qty-{line.id}": "2"})
    line.refresh_from_db()
    assert line.cancelled == 2 and Backorder.objects.get(id=bean.id).status == "open"


def test_a_closed_backorder_expects_nothing(admin_web, two_backorders):
    """A cancelled (or complete) backorder keeps the date it had, but the
    pages do not offer it as an expected date any more."""
    bean, wharf = two_backorders
    Backorder.objects.filter(id__in=[bean.id, wharf.id]).update(
        expected_date="2031-02-03")
    admin_web.post(f"/backorders/{bean.number}/cancel/", {"reason": "customer_requested"},
                   headers=HTMX)
    assert Backorder.objects.get(id=bean.id).status == "cancelled"
    page = admin_web.get(f"/backorders/{bean.number}/").content.decode()
    assert "cancelled: nothing is expected (it was expected 2031-02-03)" in page
    assert "from purchase orders" not in page
    rows = admin_web.get("/backorders/").content.decode()
    assert rows.count("2031-02-03") == 1  # the wharf backorder's, still open
    assert "2031-02-03" in admin_web.get(f"/backorders/{wharf.number}/").content.decode()

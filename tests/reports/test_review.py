"""The max-age review: who is on it, the facts shown, and its three actions."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse

from fillrate.accounts.permissions import Role
from fillrate.backorders.models import Backorder, Communication
from fillrate.reports.review import max_age_review
from tests.helpers import db_state

pytestmark = pytest.mark.django_db


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def test_only_backorders_older_than_the_setting_with_their_facts(scenario, at_now):
    review = max_age_review()
    # max_backorder_age_days is 30: only B6 (31 days) is over it.
    assert review.max_age_days == 30 and review.count == 1
    (row,) = review.rows
    assert row.backorder.number == scenario.b6.number
    assert row.age_days == 31
    assert row.last_contact is None
    # B6 waits for GADGET (5 on order, due 2026-12-16) and BOLT (none).
    assert (row.incoming, row.next_receipt) == (5, dt.date(2026, 12, 16))


def test_the_page_and_contact_logged(scenario, login, at_now):
    client = login(Role.SALES)
    page = text(client.get(reverse("web:report_max_age")))
    assert f'id="review-{scenario.b6.number}"' in page
    assert scenario.b5.number not in page
    assert "5 units, first 2026-12-16" in page and '<span class="short">never</span>' in page
    response = client.post(reverse("web:report_max_age_contact", args=[scenario.b6.number]),
                           {"method": "phone", "summary": "Agreed to wait two more weeks",
                            "next_follow_up": "2026-12-23"})
    assert response.status_code == 302
    c = Communication.objects.get(backorder_id=scenario.b6.id)
    assert (c.method, c.summary, c.next_follow_up) == (
        "phone", "Agreed to wait two more weeks", dt.date(2026, 12, 23))
    page = text(client.get(reverse("web:report_max_age")))
    assert "Agreed to wait two more weeks" in page and "contact logged" in page


def test_redate_and_cancel_for_excessive_delay(scenario, login, at_now):
    client = login(Role.SUPERVISOR)
    client.post(reverse("web:report_max_age_redate", args=[scenario.b6.number]),
                {"expected_date": "2027-01-15"})
    b6 = Backorder.objects.get(id=scenario.b6.id)
    assert (b6.expected_date, b6.expected_date_manual) == (dt.date(2027, 1, 15), True)
    client.post(reverse("web:report_max_age_cancel", args=[scenario.b6.number]))
    b6.refresh_from_db()
    assert (b6.status, b6.cancel_reason) == ("cancelled", "excessive_delay")
    assert max_age_review().count == 0


@pytest.mark.parametrize(("action", "data"), [
    ("web:report_max_age_redate", {"expected_date": ""}),
    ("web:report_max_age_redate", {"expected_date": "soon"}),
    ("web:report_max_age_contact", {"method": "pigeon", "summary": "x"}),
    ("web:report_max_age_contact", {"method": "phone", "summary": " "}),
])
def test_bad_input_is_shown_and_changes_nothing(scenario, login, at_now, action, data):
    client = login(Role.SUPERVISOR)
    before = db_state()
    response = client.post(reverse(action, args=[scenario.b6.number]), data, follow=True)
    assert 'class="flash error"' in text(response)
    assert db_state() == before


def test_the_warehouse_may_look_but_not_decide(scenario, login, at_now):
    client = login(Role.WAREHOUSE)
    page = text(client.get(reverse("web:report_max_age")))
    assert scenario.b6.number in page and "Contact logged" not in page
    before = db_state()
    response = client.post(reverse("web:report_max_age_cancel", args=[scenario.b6.number]))
    assert response.status_code == 403
    assert db_state() == before


def test_cancelling_a_closed_backorder_says_so(scenario, login, at_now):
    client = login(Role.SUPERVISOR)
    response = client.post(reverse("web:report_max_age_cancel", args=[scenario.b1.number]),
                           follow=True)
    assert 'class="flash error"' in text(response)
    assert Backorder.objects.get(id=scenario.b1.id).status == "complete"

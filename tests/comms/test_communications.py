"""The communication log (seed 003): preference, agreed plan, next
follow-up; the follow-ups due list; last contact and next follow-up on the
backorder list (API and pages)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from fillrate.backorders.models import Communication
from fillrate.backorders.services import log_communication
from tests.orders.support import place, snapshot
from tests.web.conftest import HTMX


@pytest.fixture
def backorders(store):
    first = place("C-ACME", ("GADGET", 5)).backorders[0].number
    second = place("C-VIP", ("BOLT", 2)).backorders[0].number
    third = place("C-ACME", ("BOLT", 1)).backorders[0].number
    return first, second, third


def comms(number):
    return f"/api/v1/backorders/{number}/communications"


def test_a_contact_records_preference_agreement_and_follow_up(api, backorders):
    first, *_ = backorders
    r = api.post(comms(first), {"method": "phone", "summary": "Called about the gadgets",
                                "preference": "partial", "agreed": "Ship the 3 now",
                                "next_follow_up": "2031-03-01"})
    assert r.status_code == 201, r.content
    row = r.json()
    assert (row["preference"], row["agreed"], row["next_follow_up"]) == (
        "partial", "Ship the 3 now", "2031-03-01")
    detail = api.get(f"/api/v1/backorders/{first}").json()
    assert detail["communications"][0]["preference"] == "partial"
    assert detail["next_follow_up"] == "2031-03-01"
    assert detail["last_contact_at"] == detail["communications"][0]["created_at"]


@pytest.mark.parametrize(("body", "code", "field"), [
    ({"method": "phone", "summary": "x", "preference": "maybe"},
     "backorders.invalid_preference", "preference"),
    ({"method": "phone", "summary": "x", "next_follow_up": "2020-01-01"},
     "backorders.invalid_value", "next_follow_up"),
    ({"method": "phone", "summary": "x", "agreed": 5}, "request.invalid", "agreed"),
    ({"method": "phone", "summary": "x", "follow_up": "2031-01-01"},
     "request.unknown_field", "follow_up"),
])
def test_bad_contacts_are_422_naming_the_field_and_change_nothing(api, backorders, body, code,
                                                                  field):
    before = snapshot()
    r = api.post(comms(backorders[0]), body)
    assert r.status_code == 422, r.content
    error = r.json()["error"]
    assert error["field"] == field
    if code != "backorders.invalid_value":
        assert error["code"] == code
    assert snapshot() == before


def test_a_follow_up_yesterday_is_refused_today_is_accepted(api, backorders):
    today = timezone.localdate()
    r = api.post(comms(backorders[0]), {"method": "phone", "summary": "x",
                                        "next_follow_up": str(today - dt.timedelta(days=1))})
    assert r.status_code == 422 and r.json()["error"]["code"] == "backorders.follow_up_in_past"
    ok = api.post(comms(backorders[0]), {"method": "phone", "summary": "x",
                                         "next_follow_up": str(today)})
    assert ok.status_code == 201


def test_follow_ups_due_oldest_date_first_and_the_list_shows_contacts(api, backorders):
    first, second, third = backorders
    today = timezone.localdate()
    for number in (first, second, third):
        api.post(comms(number), {"method": "phone", "summary": "call back",
                                 "next_follow_up": str(today)})
    # Time passes: the second's follow-up came due three days ago, the
    # first's two days ago; the third's is next week.
    for number, days in ((second, -3), (first, -2), (third, 7)):
        Communication.objects.filter(backorder_id=int(number[3:])).update(
            next_follow_up=today + dt.timedelta(days=days))
    due = api.get("/api/v1/backorders", {"follow_up": "due"}).json()
    assert [x["number"] for x in due["items"]] == [second, first]
    assert due["items"][0]["next_follow_up"] == str(today - dt.timedelta(days=3))
    assert due["items"][0]["last_contact_at"] is not None

    # An email the system sent leaves the follow-up; a person's call without
    # a date ends it.
    log_communication(number=second, method="email", summary="Weekly update")
    assert [x["number"] for x in api.get("/api/v1/backorders",
                                         {"follow_up": "due"}).json()["items"]] == [second, first]
    api.post(comms(second), {"method": "phone", "summary": "Spoke to them; all settled"})
    assert [x["number"] for x in api.get("/api/v1/backorders",
                                         {"follow_up": "due"}).json()["items"]] == [first]
    # A cancelled backorder needs no follow-up.
    api.post(f"/api/v1/backorders/{first}/cancel", {"reason": "customer_requested"})
    assert api.get("/api/v1/backorders", {"follow_up": "due"}).json()["items"] == []

    listed = {x["number"]: x for x in api.get("/api/v1/backorders").json()["items"]}
    assert listed[third]["next_follow_up"] == str(today + dt.timedelta(days=7))
    bad = api.get("/api/v1/backorders", {"follow_up": "soon"})
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "follow_up"


def test_the_pages_log_preference_and_list_follow_ups(admin_web, backorders):
    first, second, _ = backorders
    today = timezone.localdate()
    page = admin_web.get(f"/backorders/{first}/").content.decode()
    assert 'name="preference"' in page and 'name="agreed"' in page
    bad = admin_web.post(f"/backorders/{first}/communications/",
                         {"method": "phone", "summary": "x", "preference": "maybe"},
                         headers=HTMX).content.decode()
    assert "preference must be one of" in bad and not Communication.objects.exists()
    ok = admin_web.post(f"/backorders/{first}/communications/",
                        {"method": "phone", "summary": "Called", "preference": "wait",
                         "agreed": "Wait for the next delivery",
                         "next_follow_up": str(today)}, headers=HTMX).content.decode()
    assert "Wait for stock" in ok and "Wait for the next delivery" in ok
    assert f"next follow-up {today}" in ok
    row = Communication.objects.get()
    assert (row.preference, row.agreed, row.next_follow_up) == (
        "wait", "Wait for the next delivery", today)

    due = admin_web.get("/backorders/", {"follow_up": "due"}).content.decode()
    assert "Follow-ups due" in due and first in due and second not in due
    listed = admin_web.get("/backorders/").content.decode()
    assert f'data-testid="follow-up-{first}">{today}' in listed
    assert f'data-testid="follow-up-{second}">—' in listed

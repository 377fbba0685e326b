"""Editing backorders (one event per changed field), the communication log,
and business settings through the API."""

from __future__ import annotations

import pytest

from fillrate.backorders.models import Backorder, BackorderLine
from fillrate.backorders.services import cancel_backorder, log_communication, update_backorder
from fillrate.core.business import DEFAULTS, business_settings
from fillrate.core.errors import Conflict, InvalidValue
from fillrate.core.models import Event
from tests.orders.support import place, snapshot


def error(response, status):
    assert response.status_code == status, response.content
    return response.json()["error"]


@pytest.fixture
def backorder(store):
    placed = place("C-ACME", ("GADGET", 5), ("BOLT", 2))
    return placed.backorders[0].number


def url(number):
    return f"/api/v1/backorders/{number}"


# -- PATCH /backorders/{number} -----------------------------------------------


def test_changing_the_expected_date_moves_it_on_every_line_with_its_own_event(api, backorder):
    r = api.patch(url(backorder), {"expected_date": "2030-02-01"})
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["expected_date"] == "2030-02-01"
    assert [x["expected_date"] for x in body["lines"]] == ["2030-02-01", "2030-02-01"]
    events = list(Event.objects.filter(subject=backorder, type__startswith="Backorder")
                  .exclude(type="BackorderOpened"))
    assert [(e.type, e.payload) for e in events] == [
        ("BackorderExpectedDateChanged",
         {"field": "expected_date", "old": None, "new": "2030-02-01", "source": "manual"})]
    assert events[0].actor.username == "administrator-user"

    api.patch(url(backorder), {"expected_date": "2030-03-15"})
    api.patch(url(backorder), {"expected_date": None})
    changes = [e.payload for e in Event.objects.filter(type="BackorderExpectedDateChanged")]
    assert [(c["old"], c["new"]) for c in changes] == [
        (None, "2030-02-01"), ("2030-02-01", "2030-03-15"), ("2030-03-15", None)]
    # Cleared: no promise gives a date either.
    assert set(BackorderLine.objects.values_list("promised_date", flat=True)) == {None}
    assert api.get(url(backorder)).json()["expected_date_manual"] is False


def test_one_event_per_changed_field_and_none_for_unchanged_ones(api, backorder):
    r = api.patch(url(backorder), {"priority": "high", "notes": "customer called",
                                   "expected_date": None})
    assert r.status_code == 200, r.content
    assert (r.json()["priority"], r.json()["notes"]) == ("high", "customer called")
    events = Event.objects.filter(subject=backorder).exclude(type="BackorderOpened")
    assert sorted((e.type, e.payload["field"], e.payload["old"], e.payload["new"])
                  for e in events) == [
        ("BackorderUpdated", "notes", "", "customer called"),
        ("BackorderUpdated", "priority", "normal", "high")]
    count = Event.objects.count()
    assert api.patch(url(backorder), {"priority": "high"}).status_code == 200
    assert api.patch(url(backorder), {}).status_code == 200
    assert Event.objects.count() == count
    api.patch(url(backorder), {"notes": None})
    assert Backorder.objects.get().notes == ""
    assert Event.objects.last().payload == {"field": "notes", "old": "customer called",
                                            "new": ""}


def test_patch_of_a_cancelled_backorder_is_409_and_changes_nothing(api, backorder):
    cancel_backorder(number=backorder, reason="customer_requested")
    before = snapshot()
    for body in ({"priority": "high"}, {"expected_date": "2030-01-01"}, {"notes": "x"}):
        e = error(api.patch(url(backorder), body), 409)
        assert e["code"] == "backorders.closed"
    assert snapshot() == before


@pytest.mark.parametrize(("body", "code", "field"), [
    ({"priority": "urgent"}, "backorders.invalid_priority", "priority"),
    ({"expected_date": "next tuesday"}, "request.invalid", "expected_date"),
    ({"expected_date": "2030-02-30"}, "request.invalid", "expected_date"),
])
def test_bad_patch_values_are_422_naming_the_field(api, backorder, body, code, field):
    before = snapshot()
    e = error(api.patch(url(backorder), body), 422)
    assert (e["code"], e["field"]) == (code, field)
    assert snapshot() == before


def test_patch_unknown_backorder_and_roles(api, make_api, backorder):
    assert error(api.patch(url("BO-999999"), {"notes": "x"}), 404)["code"] == \
        "backorders.not_found"
    assert error(api.patch(url("banana"), {"notes": "x"}), 404)["code"] == \
        "backorders.not_found"
    warehouse = make_api("warehouse")
    before = snapshot()
    assert error(warehouse.patch(url(backorder), {"notes": "x"}), 403)["code"] == \
        "auth.forbidden"
    assert snapshot() == before
    assert make_api("sales").patch(url(backorder), {"notes": "x"}).status_code == 200


def test_update_backorder_refuses_fields_it_does_not_own(backorder):
    before = snapshot()
    for changes in ({"status": "complete"}, {"notes": "ok", "customer": "C-VIP"}):
        with pytest.raises(InvalidValue) as caught:
            update_backorder(number=backorder, changes=changes)
        assert caught.value.code == "backorders.not_editable"
        assert caught.value.field == sorted(set(changes) - {"notes"})[0]
    assert snapshot() == before


def test_update_backorder_refuses_a_closed_backorder(backorder):
    cancel_backorder(number=backorder, reason="customer_requested")
    before = snapshot()
    with pytest.raises(Conflict) as caught:
        update_backorder(number=backorder, changes={"notes": "late"})
    assert caught.value.code == "backorders.closed"
    assert snapshot() == before


# -- communications --------------------------------------------------------------


def test_log_a_communication_and_see_it_on_the_backorder(api, backorder):
    r = api.post(f"{url(backorder)}/communications", {
        "method": "phone", "summary": "  Agreed to wait two weeks ",
        "next_follow_up": "2030-01-10"})
    assert r.status_code == 201, r.content
    row = r.json()
    assert (row["method"], row["summary"], row["next_follow_up"], row["by"]) == (
        "phone", "Agreed to wait two weeks", "2030-01-10", "administrator-user")
    api.post(f"{url(backorder)}/communications", {"method": "email", "summary": "Sent ETA"})
    detail = api.get(url(backorder)).json()
    assert [(c["method"], c["summary"]) for c in detail["communications"]] == [
        ("email", "Sent ETA"), ("phone", "Agreed to wait two weeks")]
    assert [e["type"] for e in detail["events"]] == [
        "BackorderOpened", "CustomerContacted", "CustomerContacted"]
    event = Event.objects.filter(type="CustomerContacted").first()
    assert event.payload == {"method": "phone", "summary": "Agreed to wait two weeks",
                             "preference": "", "agreed": "", "next_follow_up": "2030-01-10"}


@pytest.mark.parametrize(("body", "status", "code", "field"), [
    ({"method": "carrier pigeon", "summary": "coo"}, 422, "backorders.invalid_method",
     "method"),
    ({"method": "phone", "summary": "   "}, 422, "backorders.empty_summary", "summary"),
    ({"method": "phone", "summary": ""}, 422, "request.invalid", "summary"),
    ({"method": "phone"}, 422, "request.invalid", "summary"),
    ({"method": "phone", "summary": "x", "next_follow_up": "soon"}, 422, "request.invalid",
     "next_follow_up"),
])
def test_bad_communications_change_nothing(api, backorder, body, status, code, field):
    before = snapshot()
    e = error(api.post(f"{url(backorder)}/communications", body), status)
    assert (e["code"], e["field"]) == (code, field)
    assert snapshot() == before


def test_communication_on_an_unknown_backorder_is_404(api, store):
    e = error(api.post(f"{url('BO-123456')}/communications",
                       {"method": "phone", "summary": "hello"}), 404)
    assert e["code"] == "backorders.not_found"


def test_a_closed_backorder_still_takes_a_communication(backorder):
    cancel_backorder(number=backorder, reason="customer_requested")
    row = log_communication(number=backorder, method="email", summary="Told them")
    assert row.backorder.status == "cancelled"


# -- settings --------------------------------------------------------------------


def test_settings_start_at_the_documented_defaults(make_api, db):
    expected = {"oversell_policy": "backorder", "allocation_policy": "fifo",
                "partial_shipments": True, "charge_backorders_on_shipment": True,
                "max_backorder_age_days": 30, "notify_customers": True, "currency": "USD",
                "pick_workflow": "off",

                "shop_name": "fillrate", "contact_email": "", "contact_phone": ""}
    for role in ("administrator", "supervisor", "warehouse", "sales"):
        r = make_api(role).get("/api/v1/settings")
        assert r.status_code == 200 and r.json() == expected
    assert business_settings() == DEFAULTS


def test_each_changed_setting_is_one_event_with_old_and_new(api, db):
    r = api.patch("/api/v1/settings", {"oversell_policy": "hold", "max_backorder_age_days": 45,
                                       "partial_shipments": True})
    assert r.status_code == 200, r.content
    assert r.json()["oversell_policy"] == "hold" and r.json()["max_backorder_age_days"] == 45
    events = list(Event.objects.filter(type="SettingChanged"))
    assert sorted((e.subject, e.payload["old"], e.payload["new"]) for e in events) == [
        ("max_backorder_age_days", 30, 45), ("oversell_policy", "backorder", "hold")]
    assert {e.actor.username for e in events} == {"administrator-user"}
    assert api.get("/api/v1/settings").json()["oversell_policy"] == "hold"
    r = api.patch("/api/v1/settings", {"oversell_policy": "hold"})
    assert r.status_code == 200 and Event.objects.filter(type="SettingChanged").count() == 2
    api.patch("/api/v1/settings", {"partial_shipments": False,
                                   "charge_backorders_on_shipment": False,
                                   "notify_customers": False, "allocation_policy": "priority"})
    assert business_settings() == DEFAULTS.__class__(
        oversell_policy="hold", allocation_policy="priority", partial_shipments=False,
        charge_backorders_on_shipment=False, max_backorder_age_days=45,
        notify_customers=False)
    assert Event.objects.filter(type="SettingChanged").count() == 6
    r = api.patch("/api/v1/settings", {"currency": "EUR"})
    assert r.status_code == 200 and r.json()["currency"] == "EUR"
    assert business_settings().currency == "EUR"


@pytest.mark.parametrize(("body", "code", "field"), [
    ({"oversell_policy": "sometimes"}, "settings.invalid_value", "oversell_policy"),
    ({"allocation_policy": "random"}, "settings.invalid_value", "allocation_policy"),
    ({"max_backorder_age_days": 0}, "settings.invalid_value", "max_backorder_age_days"),
    ({"max_backorder_age_days": 3651}, "settings.invalid_value", "max_backorder_age_days"),
    ({"max_backorder_age_days": "a month"}, "request.invalid", "max_backorder_age_days"),
    ({"partial_shipments": "maybe"}, "request.invalid", "partial_shipments"),
    ({"notify_customers": [1]}, "request.invalid", "notify_customers"),
    ({"currency": "usd"}, "settings.invalid_value", "currency"),
    ({"currency": "DOLLAR"}, "settings.invalid_value", "currency"),
    ({"currency": ""}, "settings.invalid_value", "currency"),
    # all or nothing: the good change is not applied either
    ({"oversell_policy": "reject", "max_backorder_age_days": -1}, "settings.invalid_value",
     "max_backorder_age_days"),
])
def test_bad_setting_values_are_422_naming_the_field(api, db, body, code, field):
    before = snapshot()
    e = error(api.patch("/api/v1/settings", body), 422)
    assert (e["code"], e["field"]) == (code, field)
    assert snapshot() == before
    assert business_settings() == DEFAULTS


@pytest.mark.parametrize("role", ["supervisor", "warehouse", "sales"])
def test_only_administrators_change_settings(make_api, db, role):
    client = make_api(role)
    before = snapshot()
    e = error(client.patch("/api/v1/settings", {"oversell_policy": "reject"}), 403)
    assert e["code"] == "auth.forbidden"
    assert snapshot() == before


def test_settings_need_a_token(client, db):
    r = client.get("/api/v1/settings")
    assert r.status_code == 401 and r.json()["error"]["code"] == "auth.unauthenticated"

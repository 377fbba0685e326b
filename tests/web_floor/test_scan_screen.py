"""The scan pick screen: steps checked on the server too, picks recorded,
undo, mark missing; htmx gets the fragment, plain forms the page."""

from __future__ import annotations

import pytest

from fillrate.accounts.permissions import Role
from fillrate.inventory.models import StockLevel
from fillrate.picking.models import Issue, Pick, PickRun
from fillrate.picking.services import create_pick_run
from tests.web_floor.conftest import HTMX

pytestmark = pytest.mark.django_db


@pytest.fixture
def picker(login):
    return login(Role.WAREHOUSE, username="wendy")


@pytest.fixture
def run(floor, picker):
    return create_pick_run(fulfillments=[floor.first.number, floor.second.number,
                                         floor.third.number],
                           picker=picker.user.username, tote="T-1", actor_id=picker.user.id)


def scan(picker, run, **fields):
    page = picker.get(f"/pick-runs/{run.number}/scan/")
    stop = page.context["path"].current
    data = {"fulfillment": stop.fulfillment, "sku": stop.sku, "stop_location": stop.location,
            "location": "", "product": "", "quantity": "", "tote": "", **fields}
    return stop, data


def test_the_screen_shows_the_first_location_and_the_due_quantity(picker, run):
    response = picker.get(f"/pick-runs/{run.number}/scan/")
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="scan-where">A-01<' in html and "Pick 2" in html and "into tote <b>T-1</b>" in html
    assert "Next: B-01" in html and "0 of 6 units" in html
    assert "<script>" not in html and " onclick=" not in html and " onsubmit=" not in html


def test_a_whole_scan_records_the_pick_and_moves_on(picker, run, floor):
    stop, data = scan(picker, run, location="a-01", product="0001112223334", quantity="2",
                      tote="t-1")
    response = picker.post(f"/pick-runs/{run.number}/scan/", data, headers=HTMX)
    assert response.status_code == 200
    pick = Pick.objects.get()
    assert (pick.quantity, pick.product.sku, pick.location.code, pick.tote.code) == (
        2, "KIT-KET", "A-01", "T-1")
    html = response.content.decode()
    assert 'data-tone="ok"' in html and "Picked 2 × KIT-KET into T-1." in html
    assert "2 of 6 units" in html and "Undo last scan" in html
    assert StockLevel.objects.get(product=floor.kettle, location=floor.a01).on_hand == 8


def test_without_script_each_step_is_kept_and_the_next_asked_for(picker, run):
    stop, data = scan(picker, run, location="A-01")
    response = picker.post(f"/pick-runs/{run.number}/scan/", data)
    assert response.status_code == 200 and not Pick.objects.exists()
    assert response.context["focus"] == "product" and response.context["values"]["location"]
    data.update(product="KIT-KET", quantity="2", tote="T-1")
    response = picker.post(f"/pick-runs/{run.number}/scan/", data)
    assert response.status_code == 302 and response["Location"] == f"/pick-runs/{run.number}/scan/"
    assert Pick.objects.count() == 1


@pytest.mark.parametrize(("field", "value", "said"), [
    ("location", "B-01", "Wrong location"),
    ("product", "KIT-PRS", "Wrong product"),
    ("quantity", "3", "Only 2 due here"),
    ("quantity", "two", "whole number"),
    ("tote", "T-9", "Wrong tote"),
])
def test_a_wrong_scan_is_a_red_message_and_records_nothing(picker, run, field, value, said):
    stop, data = scan(picker, run, location="A-01", product="KIT-KET", quantity="2", tote="T-1")
    data[field] = value
    response = picker.post(f"/pick-runs/{run.number}/scan/", data, headers=HTMX)
    assert response.status_code == 422
    html = response.content.decode()
    assert said in html and 'data-tone="error"' in html and 'class="scan-message error"' in html
    assert not Pick.objects.exists()


def test_a_stale_screen_records_nothing(picker, run):
    stop, data = scan(picker, run, location="A-01", product="KIT-KET", quantity="2", tote="T-1")
    data["sku"] = "KIT-PRS"
    response = picker.post(f"/pick-runs/{run.number}/scan/", data, headers=HTMX)
    assert response.status_code == 409 and "moved on" in response.content.decode()
    assert not Pick.objects.exists()


def test_undo_puts_the_last_scan_back(picker, run, floor):
    stop, data = scan(picker, run, location="A-01", product="KIT-KET", quantity="2", tote="T-1")
    picker.post(f"/pick-runs/{run.number}/scan/", data)
    response = picker.post(f"/pick-runs/{run.number}/undo/", headers=HTMX)
    assert response.status_code == 200 and "Undone: 2 × KIT-KET" in response.content.decode()
    assert Pick.objects.get().undone_at is not None
    assert StockLevel.objects.get(product=floor.kettle, location=floor.a01).on_hand == 10
    again = picker.post(f"/pick-runs/{run.number}/undo/", headers=HTMX)
    assert again.status_code == 409 and "no scan to undo" in again.content.decode()


def test_mark_missing_opens_an_issue_and_the_picker_goes_on(picker, run, floor):
    stop, _ = scan(picker, run)
    response = picker.post(f"/pick-runs/{run.number}/missing/", {
        "fulfillment": stop.fulfillment, "sku": stop.sku, "location": stop.location,
        "quantity": "1"}, headers=HTMX)
    assert response.status_code == 200
    issue = Issue.objects.get()
    assert (issue.quantity, issue.product.sku, issue.location.code) == (1, "KIT-KET", "A-01")
    html = response.content.decode()
    assert "marked missing" in html and "1 of 6 units" in html


def test_bad_missing_quantity_changes_nothing(picker, run):
    stop, _ = scan(picker, run)
    for quantity, status in (("0", 422), ("x", 422), ("9", 422)):
        response = picker.post(f"/pick-runs/{run.number}/missing/", {
            "fulfillment": stop.fulfillment, "sku": stop.sku, "location": stop.location,
            "quantity": quantity}, headers=HTMX)
        assert response.status_code == status, quantity
    assert not Issue.objects.exists()


def test_start_a_run_from_the_scan_home(picker, floor):
    response = picker.post("/scan/", {"max_fulfillments": "2", "tote": "T-1"})
    run = PickRun.objects.get()
    assert response["Location"] == f"/pick-runs/{run.number}/scan/"
    assert run.members.count() == 2 and run.picker_id == picker.user.id
    home = picker.get("/scan/").content.decode()
    assert f"Go on with {run.number}" in home
    bad = picker.post("/scan/", {"max_fulfillments": "0"})
    assert bad.status_code == 422 and PickRun.objects.count() == 1


def test_an_unknown_tote_is_said_on_the_screen(picker, floor):
    run = create_pick_run(fulfillments=[floor.second.number], picker=picker.user.username,
                          actor_id=picker.user.id)
    stop, data = scan(picker, run, location="A-01", product="KIT-KET", quantity="1",
                      tote="NOPE")
    assert stop.tote is None
    response = picker.post(f"/pick-runs/{run.number}/scan/", data, headers=HTMX)
    assert response.status_code == 404
    html = response.content.decode()
    assert "no tote" in html and 'data-tone="error"' in html and 'id="scan-where"' in html
    assert not Pick.objects.exists()
    data["tote"] = "T-1"
    assert picker.post(f"/pick-runs/{run.number}/scan/", data).status_code == 302
    again = picker.get(f"/pick-runs/{run.number}/scan/").content.decode()
    assert 'id="scan-done"' in again and "Go to the pack station" in again


def test_a_cancelled_run_says_so_and_takes_no_scan(picker, run):
    from fillrate.picking.services import cancel_pick_run

    cancel_pick_run(number=run.number, actor_id=picker.user.id)
    html = picker.get(f"/pick-runs/{run.number}/scan/").content.decode()
    assert f"{run.number} was cancelled" in html and 'name="location"' not in html
    response = picker.post(f"/pick-runs/{run.number}/scan/", {
        "fulfillment": "FF-000001", "sku": "KIT-KET", "stop_location": "A-01",
        "location": "A-01", "product": "KIT-KET", "quantity": "1", "tote": "T-1"})
    assert response.status_code == 409 and not Pick.objects.exists()

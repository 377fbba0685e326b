"""The supervisor's issues wall: what is missing, where it should be, where
else the product is recorded, recent receipts; found / cancel / split /
wait by supervisors and administrators only."""

from __future__ import annotations

import pytest

from fillrate.accounts.permissions import Role
from fillrate.fulfilment.models import Fulfillment
from fillrate.picking.models import Issue
from fillrate.picking.services import create_pick_run, mark_missing, record_pick
from fillrate.picking.totes import create_tote

pytestmark = pytest.mark.django_db


@pytest.fixture
def issue(floor, login):
    """The first fulfillment picked into T-1 but for 1 kettle missing at A-01."""
    picker = login(Role.WAREHOUSE, username="wendy")
    run = create_pick_run(fulfillments=[floor.first.number], picker=picker.user.username,
                          tote="T-1", actor_id=picker.user.id)
    record_pick(run=run.number, fulfillment=floor.first.number, sku="KIT-KET",
                location="A-01", quantity=1, tote="T-1", actor_id=picker.user.id)
    record_pick(run=run.number, fulfillment=floor.first.number, sku="KIT-PRS",
                location="B-01", quantity=1, tote="T-1", actor_id=picker.user.id)
    return mark_missing(fulfillment=floor.first.number, sku="KIT-KET", quantity=1,
                        location="A-01", actor_id=picker.user.id)


def test_the_wall_shows_what_a_supervisor_checks(login, floor, issue):
    html = login(Role.SUPERVISOR).get("/issues/").content.decode()
    card = html.split(f'id="issue-{issue.number}"')[1].split("</section>")[0]
    assert "1 × KIT-KET" in card and "<b>A-01</b>" in card and "T-1" in card
    assert floor.first.number in card and "Customer One" in card
    assert "BULK-1" in card and "5 on hand" in card  # where else it is recorded
    assert "None received lately." in card
    for action in ("found", "split", "wait", "cancel"):
        assert f'name="action" value="{action}"' in card


def test_warehouse_sees_the_wall_but_may_not_decide(login, floor, issue):
    client = login(Role.WAREHOUSE)
    html = client.get("/issues/").content.decode()
    assert issue.number in html and 'name="action"' not in html
    response = client.post(f"/issues/{issue.number}/resolve/", {"action": "split"})
    assert response.status_code == 403
    assert Issue.objects.get().status == "open"


def test_split_sends_the_rest_on_and_backorders_the_missing(login, floor, issue):
    response = login(Role.SUPERVISOR).post(f"/issues/{issue.number}/resolve/",
                                           {"action": "split"}, follow=True)
    assert "the missing units are on backorder BO-" in response.content.decode()
    assert Issue.objects.get().resolution == "split"
    assert Fulfillment.objects.get(id=floor.first.id).status == "picked"


def test_found_sends_the_fulfillment_back_to_the_queue(login, floor, issue):
    response = login(Role.ADMINISTRATOR).post(f"/issues/{issue.number}/resolve/",
                                              {"action": "found", "location": "BULK-1"},
                                              follow=True)
    assert "found at BULK-1" in response.content.decode()
    assert Fulfillment.objects.get(id=floor.first.id).status == "queued"
    assert 'id="no-issues"' in response.content.decode()


def test_a_refused_decision_is_said_on_its_card_and_changes_nothing(login, floor, issue):
    boss = login(Role.SUPERVISOR)
    for data in ({"action": "found", "location": ""}, {"action": "maybe"},
                 {"action": "found", "location": "NOWHERE"}):
        response = boss.post(f"/issues/{issue.number}/resolve/", data)
        assert response.status_code in (404, 422), data
        assert 'id="issue-error"' in response.content.decode(), data
    assert Issue.objects.get().status == "open"
    assert boss.post("/issues/IS-999999/resolve/", {"action": "split"}).status_code == 404


def test_cancel_goes_on_to_pack_and_wait_is_over_when_stock_is_elsewhere(login, floor, issue):
    boss = login(Role.SUPERVISOR)
    response = boss.post(f"/issues/{issue.number}/resolve/", {"action": "cancel"}, follow=True)
    assert "cancelled on the order" in response.content.decode()
    assert Fulfillment.objects.get(id=floor.first.id).status == "picked"
    picker = login(Role.WAREHOUSE, username="wendy")
    create_tote(code="T-2")  # T-1 is on the issues wall
    create_pick_run(fulfillments=[floor.second.number], picker=picker.user.username, tote="T-2",
                    actor_id=picker.user.id)
    waiting = mark_missing(fulfillment=floor.second.number, sku="KIT-KET", quantity=1,
                           location="A-01", actor_id=picker.user.id)
    response = boss.post(f"/issues/{waiting.number}/resolve/", {"action": "wait"}, follow=True)
    # BULK-1 has free kettles: the backorder gets one at once and the
    # fulfillment goes back to the queue by itself.
    assert "allocated at once from stock elsewhere" in response.content.decode()
    assert Fulfillment.objects.get(id=floor.second.id).status == "queued"

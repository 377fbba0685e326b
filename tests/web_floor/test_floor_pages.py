"""The floor pages render for the warehouse and refuse what a role may not do."""

from __future__ import annotations

import pytest

from fillrate.accounts.permissions import Role
from fillrate.fulfilment.models import Fulfillment
from fillrate.picking.models import PickRun, QueueHold

pytestmark = pytest.mark.django_db


def test_the_queue_lists_queued_work_and_filters_by_zone(login, floor):
    client = login(Role.WAREHOUSE)
    html = client.get("/pick-queue/").content.decode()
    for f in (floor.first, floor.second, floor.third):
        assert f'id="q-{f.number}"' in html
    zone_b = client.get("/pick-queue/?zone=B").content.decode()
    assert f'id="q-{floor.third.number}"' in zone_b
    assert f'id="q-{floor.second.number}"' not in zone_b
    bad = client.get("/pick-queue/?kind=nowhere")
    assert bad.status_code == 422 and "Location kind is one of" in bad.content.decode()


def test_a_supervisor_holds_and_releases_a_warehouse_user_may_not(login, floor):
    number = floor.second.number
    refused = login(Role.WAREHOUSE).post(f"/pick-queue/{number}/hold/")
    assert refused.status_code == 403 and not QueueHold.objects.exists()
    boss = login(Role.SUPERVISOR)
    response = boss.post(f"/pick-queue/{number}/hold/", {"query": "zone=A"})
    assert response.status_code == 302 and response["Location"] == "/pick-queue/?zone=A"
    html = boss.get("/pick-queue/").content.decode()
    assert f'id="held-{number}"' in html and f'id="q-{number}"' not in html
    again = boss.post(f"/pick-queue/{number}/hold/", follow=True).content.decode()
    assert "held already" in again
    boss.post(f"/pick-queue/{number}/release/")
    assert not QueueHold.objects.exists()


def test_start_a_run_of_ticked_fulfillments_into_one_tote(login, floor):
    client = login(Role.WAREHOUSE, username="wendy")
    numbers = [floor.first.number, floor.third.number]
    response = client.post("/pick-runs/new/", {"fulfillments": numbers, "tote": "t-1",
                                               "picker": "wendy"})
    run = PickRun.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/pick-runs/{run.number}/"
    assert run.picker.username == "wendy"
    page = client.get(response["Location"]).content.decode()
    assert "T-1" in page and floor.first.number in page and "A-01" in page
    pick_list = client.get(f"/pick-runs/{run.number}/pick-list/").content.decode()
    assert pick_list.index("A-01") < pick_list.index("B-01") and "<script" not in pick_list


def test_bad_run_requests_say_why_and_start_nothing(login, floor):
    client = login(Role.WAREHOUSE, username="wendy")
    response = client.post("/pick-runs/new/", {"max_fulfillments": "lots", "picker": "wendy"})
    assert response.status_code == 422 and "Tick fulfillments" in response.content.decode()
    response = client.post("/pick-runs/new/", {"fulfillments": [floor.first.number],
                                               "tote": "NOPE", "picker": "wendy"})
    assert response.status_code == 404 and "no tote" in response.content.decode()
    assert not PickRun.objects.exists()
    response = login(Role.SALES).post("/pick-runs/new/", {"max_fulfillments": "2"})
    assert response.status_code == 403 and not PickRun.objects.exists()


def test_runs_list_and_cancel(login, floor):
    client = login(Role.WAREHOUSE, username="wendy")
    client.post("/pick-runs/new/", {"max_fulfillments": "2", "picker": "wendy"})
    run = PickRun.objects.get()
    assert run.number in client.get("/pick-runs/").content.decode()
    client.post(f"/pick-runs/{run.number}/cancel/")
    run.refresh_from_db()
    assert run.status == "cancelled"
    assert Fulfillment.objects.filter(status="queued").count() == 3
    assert client.get("/pick-runs/PR-999999/").status_code == 404


def test_a_run_for_someone_who_may_not_pick_is_refused(login, floor):
    login(Role.SALES, username="sally")
    client = login(Role.SUPERVISOR)
    response = client.post("/pick-runs/new/", {"max_fulfillments": "2", "picker": "sally"})
    assert response.status_code == 422 and "start-error" in response.content.decode()
    assert not PickRun.objects.exists()


def test_the_queue_is_paged_and_keeps_its_filters(login, floor, monkeypatch):
    from fillrate.web import floor_views

    monkeypatch.setattr(floor_views, "QUEUE_PAGE_SIZE", 2)
    client = login(Role.WAREHOUSE)
    html = client.get("/pick-queue/?zone=").content.decode()
    assert "3 fulfillments" in html and "page=2" in html
    second = client.get("/pick-queue/?page=2").content.decode()
    assert second.count('id="q-FF-') == 1

"""The floor pages take a fixed number of queries, whatever the rows."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from fillrate.accounts.permissions import Role
from fillrate.fulfilment.models import Fulfillment
from fillrate.orders.services import LineInput
from fillrate.picking.selectors import pick_queue
from fillrate.picking.services import create_pick_run, mark_missing
from fillrate.workflows.fulfil import fulfil_order
from fillrate.workflows.place_order import place_order

pytestmark = pytest.mark.django_db

PAGES = ("/pick-queue/", "/pick-runs/", "/totes/", "/pack/?tote=T-1", "/issues/", "run",
         "scan", "pick-list")


def more_work(floor, n: int) -> None:
    for _ in range(n):
        placed = place_order(customer="C-TWO", lines=[LineInput("KIT-KET", 1),
                                                      LineInput("KIT-PRS", 1)])
        fulfil_order(number=placed.order.number, actor_id=None)


def counts(client, run) -> dict[str, int]:
    out = {}
    for page in PAGES:
        path = {"run": f"/pick-runs/{run}/", "scan": f"/pick-runs/{run}/scan/",
                "pick-list": f"/pick-runs/{run}/pick-list/"}.get(page, page)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(path).status_code == 200, path
        out[page] = len(queries)
    return out


def test_floor_pages_do_not_query_per_row(login, floor):
    client = login(Role.SUPERVISOR, username="sam")
    first = create_pick_run(fulfillments=[floor.first.number, floor.second.number],
                            picker="sam", tote="T-1", actor_id=client.user.id)
    mark_missing(fulfillment=floor.first.number, sku="KIT-KET", quantity=1, location="A-01",
                 actor_id=client.user.id)
    before = counts(client, first.number)
    more_work(floor, 4)
    queued = [f.number for f in Fulfillment.objects.filter(status="queued").order_by("id")]
    create_pick_run(fulfillments=queued[-2:], picker="sam", actor_id=client.user.id)
    mark_missing(fulfillment=floor.second.number, sku="KIT-KET", quantity=1, location="A-01",
                 actor_id=client.user.id)
    assert pick_queue().count() == 3  # was 1
    assert counts(client, first.number) == before

"""Totes (new, list, label) and the pack station: pack every complete
fulfillment in a tote, leave the issue ones, pack one, dispatch many."""

from __future__ import annotations

import pytest

from fillrate.accounts.permissions import Role
from fillrate.core.business import change_settings
from fillrate.fulfilment.models import Fulfillment, Invoice
from fillrate.picking.models import Tote
from fillrate.picking.services import create_pick_run, mark_missing, record_pick

pytestmark = pytest.mark.django_db


@pytest.fixture
def packer(login):
    return login(Role.WAREHOUSE, username="wendy")


@pytest.fixture
def picked(floor, packer):
    """All three picked into T-1, except 1 kettle of the first, missing."""
    change_settings(changes={"pick_workflow": "on"})
    run = create_pick_run(fulfillments=[floor.first.number, floor.second.number,
                                        floor.third.number],
                          picker=packer.user.username, tote="T-1", actor_id=packer.user.id)
    for f, sku, location, quantity in ((floor.first, "KIT-KET", "A-01", 1),
                                       (floor.first, "KIT-PRS", "B-01", 1),
                                       (floor.second, "KIT-KET", "A-01", 1),
                                       (floor.third, "KIT-PRS", "B-01", 2)):
        record_pick(run=run.number, fulfillment=f.number, sku=sku, location=location,
                    quantity=quantity, tote="T-1", actor_id=packer.user.id)
    mark_missing(fulfillment=floor.first.number, sku="KIT-KET", quantity=1, location="A-01",
                 actor_id=packer.user.id)
    return run


def status(f) -> str:
    return Fulfillment.objects.get(id=f.id).status


def test_make_a_tote_and_print_its_label(packer, db):
    from tests.factories import WarehouseFactory

    WarehouseFactory()
    response = packer.post("/totes/", {"code": "t-7"})
    assert response.status_code == 302 and response["Location"] == "/totes/T-7/"
    label = packer.get("/totes/T-7/").content.decode()
    assert 'src="/totes/T-7/label.svg"' in label and "<script" not in label
    svg = packer.get("/totes/T-7/label.svg")
    assert svg["Content-Type"] == "image/svg+xml" and b"<svg" in svg.content
    assert "T-7" in packer.get("/totes/").content.decode()


def test_a_bad_or_taken_tote_code_says_why_and_adds_nothing(packer, floor):
    for code, said in (("", "a tote code is"), ("bad code!", "a tote code is"),
                       ("T-1", "exists already")):
        response = packer.post("/totes/", {"code": code})
        assert response.status_code in (409, 422) and said in response.content.decode()
    assert Tote.objects.count() == 1
    assert packer.get("/totes/NOPE/").status_code == 404


def test_the_pack_station_shows_the_tote_and_packs_the_complete_ones(packer, floor, picked):
    page = packer.get("/pack/?tote=t-1").content.decode()
    assert "Pack all 2 complete" in page and "leave it in the tote" in page
    response = packer.post("/pack/totes/T-1/", follow=True)
    html = response.content.decode()
    assert f"Packed {floor.second.number}, {floor.third.number} from tote T-1." in html
    assert "goes to the issues wall" in html
    assert (status(floor.first), status(floor.second), status(floor.third)) == (
        "issue", "packed", "packed")
    assert f'id="packed-{floor.second.number}"' in html


def test_nothing_to_pack_is_said_and_changes_nothing(packer, floor, picked):
    packer.post("/pack/totes/T-1/")
    again = packer.post("/pack/totes/T-1/")
    assert again.status_code == 409 and "holds nothing ready to pack" in again.content.decode()
    one = packer.post(f"/pack/fulfillments/{floor.first.number}/", {"tote": "T-1"})
    assert one.status_code == 409 and "open issue" in one.content.decode()
    assert packer.get("/pack/?tote=NOPE").status_code == 404


def test_dispatch_many_with_one_carrier(packer, floor, picked):
    packer.post("/pack/totes/T-1/")
    numbers = [floor.second.number, floor.third.number]
    missing = packer.post("/dispatch/", {"fulfillments": numbers, "carrier": ""})
    assert missing.status_code == 422 and "Name the carrier" in missing.content.decode()
    none = packer.post("/dispatch/", {"carrier": "DHL"})
    assert none.status_code == 422 and "Tick the fulfillments" in none.content.decode()
    assert not Invoice.objects.exists()
    response = packer.post("/dispatch/", {"fulfillments": numbers, "carrier": "DHL",
                                          "tracking_number": "JD0001"})
    assert response.status_code == 302
    assert {status(floor.second), status(floor.third)} == {"dispatched"}
    assert Invoice.objects.count() == 2
    f = Fulfillment.objects.get(id=floor.second.id)
    assert (f.carrier, f.tracking_number) == ("DHL", "JD0001")


def test_a_batch_with_one_that_cannot_go_dispatches_none(packer, floor, picked):
    packer.post("/pack/totes/T-1/")
    response = packer.post("/dispatch/", {
        "fulfillments": [floor.second.number, floor.first.number], "carrier": "DHL"})
    assert response.status_code == 409 and floor.first.number in response.content.decode()
    assert status(floor.second) == "packed" and not Invoice.objects.exists()


def test_sales_may_look_but_not_pack_or_dispatch(login, floor, picked):
    sales = login(Role.SALES)
    page = sales.get("/pack/?tote=T-1")
    assert page.status_code == 200 and "Pack all" not in page.content.decode()
    assert sales.post("/pack/totes/T-1/").status_code == 403
    assert sales.post("/totes/", {"code": "T-9"}).status_code == 403
    assert sales.post("/dispatch/", {"fulfillments": [floor.second.number],
                                     "carrier": "DHL"}).status_code == 403
    assert status(floor.second) == "picked"


def test_with_the_pick_workflow_on_the_fulfillment_page_dispatches_only_packed_work(
        packer, floor, picked):
    page = packer.get(f"/fulfillments/{floor.second.number}/").content.decode()
    assert "Dispatch</button>" not in page and "T-1" in page
    packer.post("/pack/totes/T-1/")
    page = packer.get(f"/fulfillments/{floor.second.number}/").content.decode()
    assert "Dispatch</button>" in page

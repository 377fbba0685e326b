"""The warehouse floor end to end through the API (seed 000), and bad input."""

from __future__ import annotations

import pytest

from fillrate.accounts.permissions import Role
from fillrate.core.business import change_settings
from fillrate.purchasing.services import create_supplier
from tests.helpers import assert_error, db_state
from tests.orders.support import levels
from tests.picking.support import queued

API = "/api/v1"


@pytest.fixture
def floor(make_api, store):
    """A warehouse picker and a supervisor; the pick workflow on; totes T1, T2."""
    change_settings(changes={"pick_workflow": "on"})
    picker, boss = make_api(Role.WAREHOUSE), make_api(Role.SUPERVISOR)
    for code in ("T1", "T2"):
        assert picker.post(f"{API}/totes", {"code": code}).status_code == 201
    return picker, boss


def scan(client, run, fulfillment, sku, quantity, *, location="A-01", tote="T1", status=201):
    r = client.post(f"{API}/pick-runs/{run}/picks",
                    {"fulfillment": fulfillment, "sku": sku, "location": location,
                     "quantity": quantity, "tote": tote})
    assert r.status_code == status, r.content
    return r.json()


def test_three_orders_one_tote_one_missing_split_and_ship(floor, store):
    picker, boss = floor
    a = queued("C-ACME", ("WIDGET", 2)).number
    b = queued("C-VIP", ("WIDGET", 1), ("GADGET", 1)).number
    c = queued("C-ACME", ("GADGET", 2), ("WIDGET", 1)).number

    queue = picker.get(f"{API}/pick-queue").json()
    assert [x["fulfillment"] for x in queue["items"]] == [b, a, c]  # VIP first, then oldest
    run = picker.post(f"{API}/pick-runs", {"fulfillments": [a, b, c], "tote": "T1"})
    assert run.status_code == 201, run.content
    body = run.json()
    number = body["number"]
    assert body["status"] == "open" and body["picker"] == picker.username
    assert [(s["location"], s["fulfillment"], s["sku"], s["quantity"], s["tote"])
            for s in body["path"]] == [
        ("A-01", a, "WIDGET", 2, "T1"), ("A-01", b, "GADGET", 1, "T1"),
        ("A-01", b, "WIDGET", 1, "T1"), ("A-01", c, "GADGET", 2, "T1"),
        ("A-01", c, "WIDGET", 1, "T1")]
    assert body["next"]["fulfillment"] == a

    scan(picker, number, a, "WIDGET", 2)
    scan(picker, number, b, "GADGET", 1)
    scan(picker, number, b, "WIDGET", 1)
    scan(picker, number, c, "WIDGET", 1)
    missing = picker.post(f"{API}/fulfillments/{c}/missing",
                          {"sku": "GADGET", "quantity": 2, "location": "A-01"})
    assert missing.status_code == 201, missing.content
    issue = missing.json()
    assert (issue["status"], issue["fulfillment_status"], issue["tote"]) == ("open", "issue", "T1")
    assert issue["elsewhere"] == [{"location": "A-01", "kind": "pick", "on_hand": 2,
                                   "allocated": 2}]
    assert picker.get(f"{API}/pick-runs/{number}").json()["status"] == "done"

    packed = picker.post(f"{API}/totes/T1/pack")
    assert packed.status_code == 200, packed.content
    assert packed.json()["packed"] == [a, b] and packed.json()["parked"] is True
    assert [x["fulfillment"] for x in packed.json()["left"]] == [c]
    tote = picker.get(f"{API}/totes/T1").json()
    assert (tote["status"], tote["place"]) == ("issues", "ISSUES")
    assert [x["number"] for x in picker.get(f"{API}/issues").json()["items"]] == [
        issue["number"]]

    assert_error(picker.post(f"{API}/issues/{issue['number']}/resolve", {"action": "split"}),
                 403, "auth.forbidden")
    resolved = boss.post(f"{API}/issues/{issue['number']}/resolve", {"action": "split"})
    assert resolved.status_code == 200, resolved.content
    resolved = resolved.json()
    assert (resolved["status"], resolved["resolution"], resolved["fulfillment_status"]) == (
        "resolved", "split", "picked")
    backorder = boss.get(f"{API}/backorders/{resolved['backorder']}").json()
    assert [(x["sku"], x["quantity"]) for x in backorder["lines"]] == [("GADGET", 2)]
    assert backorder["communications"]

    assert picker.post(f"{API}/totes/T1/pack").json()["packed"] == [c]
    assert picker.get(f"{API}/totes/T1").json()["status"] == "free"
    sent = picker.post(f"{API}/fulfillments/dispatch",
                       {"fulfillments": [a, b, c], "carrier": "DPD", "tracking_number": "Z1"})
    assert sent.status_code == 200, sent.content
    shipped = {f["number"]: f for f in sent.json()["fulfillments"]}
    assert {f["status"] for f in shipped.values()} == {"dispatched"}
    invoice = boss.get(f"{API}/invoices/{shipped[c]['invoice']}").json()
    assert [(x["sku"], x["quantity"]) for x in invoice["lines"]] == [("WIDGET", 1)]
    assert levels("WIDGET")["tote:T1"] == (0, 0) and levels("GADGET")["tote:T1"] == (0, 0)


def test_found_sends_the_fulfillment_back_to_the_queue(floor, store):
    picker, boss = floor
    f = queued("C-ACME", ("GADGET", 2)).number
    run = picker.post(f"{API}/pick-runs", {"max_fulfillments": 5}).json()["number"]
    scan(picker, run, f, "GADGET", 1)
    issue = picker.post(f"{API}/fulfillments/{f}/missing",
                        {"sku": "GADGET", "quantity": 1, "location": "A-01"}).json()["number"]
    r = boss.post(f"{API}/issues/{issue}/resolve", {"action": "found", "location": "B-01"})
    assert r.status_code == 200, r.content
    assert r.json()["fulfillment_status"] == "queued" and r.json()["found_at"] == "B-01"
    assert [x["fulfillment"] for x in picker.get(f"{API}/pick-queue").json()["items"]] == [f]
    again = picker.post(f"{API}/pick-runs", {"fulfillments": [f]}).json()
    assert [(s["location"], s["remaining"]) for s in again["path"]] == [("A-01", 0), ("B-01", 1)]
    assert again["fulfillments"][0]["tote"] == "T1"
    scan(picker, again["number"], f, "GADGET", 1, location="B-01")
    assert picker.post(f"{API}/fulfillments/{f}/pack").json()["status"] == "packed"


def test_wait_returns_to_the_queue_by_itself_after_a_receipt(floor, store, api):
    picker, boss = floor
    f = queued("C-ACME", ("GADGET", 3)).number
    run = picker.post(f"{API}/pick-runs", {"fulfillments": [f], "tote": "T2"}).json()["number"]
    scan(picker, run, f, "GADGET", 1, tote="T2")
    issue = picker.post(f"{API}/fulfillments/{f}/missing",
                        {"sku": "GADGET", "quantity": 2, "location": "A-01"}).json()["number"]
    r = boss.post(f"{API}/issues/{issue}/resolve", {"action": "wait"})
    assert r.json()["fulfillment_status"] == "backorder", r.content
    assert picker.get(f"{API}/totes/T2").json()["status"] == "issues"
    create_supplier(code="SUP", name="Supplier", lead_time_days=3)
    po = api.post(f"{API}/purchase-orders",
                  {"supplier": "SUP", "lines": [{"sku": "GADGET", "quantity": 2}]}).json()
    received = api.post(f"{API}/purchase-orders/{po['number']}/receipts",
                        {"lines": [{"sku": "GADGET", "quantity": 2}], "location": "A-01"})
    assert received.status_code == 201, received.content
    assert api.get(f"{API}/fulfillments/{f}").json()["status"] == "queued"
    run = picker.post(f"{API}/pick-runs", {}).json()
    assert [m["fulfillment"] for m in run["fulfillments"]] == [f]
    scan(picker, run["number"], f, "GADGET", 2, tote="T2")
    assert picker.post(f"{API}/totes/T2/pack").json()["packed"] == [f]
    shipped = picker.post(f"{API}/fulfillments/dispatch",
                          {"fulfillments": [f], "carrier": "DPD"}).json()["fulfillments"]
    assert shipped[0]["total_quantity"] == 3


def test_two_pickers_asking_for_the_same_work(floor, store):
    picker, boss = floor
    f = queued("C-ACME", ("WIDGET", 1)).number
    assert picker.post(f"{API}/pick-runs", {"fulfillments": [f]}).status_code == 201
    assert_error(boss.post(f"{API}/pick-runs", {"fulfillments": [f]}), 409,
                 "picking.in_another_run", "fulfillments[0]")
    assert_error(boss.post(f"{API}/pick-runs", {}), 409, "picking.queue_empty")


def test_undo_and_the_label(floor, store):
    picker, _ = floor
    f = queued("C-ACME", ("WIDGET", 2)).number
    run = picker.post(f"{API}/pick-runs", {"fulfillments": [f]}).json()["number"]
    scan(picker, run, f, "WIDGET", 2)
    r = picker.client.delete(f"{API}/pick-runs/{run}/picks/last",
                             headers={"Authorization": f"Bearer {picker.token}"})
    assert r.status_code == 200, r.content
    assert (r.json()["undone"], r.json()["fulfillment_status"]) == (True, "picking")
    assert levels("WIDGET")["A-01"] == (15, 2)
    label = picker.get(f"{API}/totes/T1/label.svg")
    assert label.status_code == 200 and label["Content-Type"] == "image/svg+xml"
    assert b"<svg" in label.content and b"T1" in label.content


def test_dispatch_needs_packed_when_the_pick_workflow_is_on(floor, store):
    picker, _ = floor
    f = queued("C-ACME", ("WIDGET", 1)).number
    before = db_state()
    assert_error(picker.post(f"{API}/fulfillments/dispatch",
                             {"fulfillments": [f], "carrier": "DPD"}),
                 409, "fulfilment.not_packed", "fulfillments[0]")
    assert db_state() == before


@pytest.mark.parametrize(("path", "body", "status", "code", "field"), [
    ("pick-runs", {"fulfillments": []}, 422, "picking.no_fulfillments", "fulfillments"),
    ("pick-runs", {"fulfillments": ["FF-999999"]}, 404, "fulfilment.not_found",
     "fulfillments[0]"),
    ("pick-runs", {"max_fulfillments": 0}, 422, "picking.invalid_max_fulfillments",
     "max_fulfillments"),
    ("pick-runs", {"max_fulfillments": "3"}, 422, "request.invalid", "max_fulfillments"),
    ("pick-runs", {"max_fulfillments": 2, "fulfillments": ["FF-1"]}, 422,
     "picking.fulfillments_or_max", "max_fulfillments"),
    ("pick-runs", {"picker": "nobody"}, 404, "accounts.unknown_user", "picker"),
    ("pick-runs", {"location_kind": "tote"}, 422, "picking.invalid_location_kind",
     "location_kind"),
    ("pick-runs", {"tote": "NOPE"}, 404, "picking.unknown_tote", "tote"),
    ("pick-runs", {"hurry": True}, 422, "request.unknown_field", "hurry"),
    ("totes", {"code": "two words"}, 422, "picking.invalid_tote_code", "code"),
    ("totes", {"code": "t1"}, 409, "picking.duplicate_tote", "code"),
    ("totes", {"code": "T9", "warehouse": "NOWHERE"}, 404, "inventory.unknown_warehouse",
     "warehouse"),
    ("fulfillments/dispatch", {"fulfillments": [], "carrier": "DPD"}, 422, "request.invalid",
     "fulfillments"),
    ("fulfillments/dispatch", {"fulfillments": ["FF-1"]}, 422, "request.invalid", "carrier"),
])
def test_bad_requests_change_nothing(floor, path, body, status, code, field):
    picker, _ = floor
    before = db_state()
    assert_error(picker.post(f"{API}/{path}", body), status, code, field)
    assert db_state() == before


def test_bad_scans_and_missing_reports_change_nothing(floor, store):
    picker, boss = floor
    f = queued("C-ACME", ("WIDGET", 2)).number
    run = picker.post(f"{API}/pick-runs", {"fulfillments": [f]}).json()["number"]
    good = {"fulfillment": f, "sku": "WIDGET", "location": "A-01", "quantity": 1, "tote": "T1"}
    before = db_state()
    for change, status, code, field in [
        ({"sku": "GADGET"}, 409, "picking.wrong_product", "sku"),
        ({"sku": "NO-SUCH"}, 404, "catalog.unknown_sku", "sku"),
        ({"location": "B-01"}, 409, "picking.wrong_location", "location"),
        ({"location": "Z-99"}, 404, "inventory.unknown_location", "location"),
        ({"quantity": 3}, 422, "picking.more_than_due", "quantity"),
        ({"quantity": 0}, 422, "picking.invalid_quantity", "quantity"),
        ({"quantity": 1.5}, 422, "request.invalid", "quantity"),
        ({"tote": "T404"}, 404, "picking.unknown_tote", "tote"),
        ({"fulfillment": "SO-1"}, 404, "fulfilment.not_found", "fulfillment"),
    ]:
        error = assert_error(picker.post(f"{API}/pick-runs/{run}/picks", {**good, **change}),
                             status, code, field)
        assert f in error["message"] or code not in ("picking.wrong_product",
                                                     "picking.wrong_location")
    assert_error(picker.post(f"{API}/pick-runs/PR-999999/picks", good), 404,
                 "picking.unknown_run")
    for change, status, code in [
        ({"quantity": 5}, 422, "picking.more_than_due"),
        ({"location": "ISSUES-X"}, 404, "inventory.unknown_location"),
        ({"sku": "GADGET"}, 409, "picking.wrong_product"),
    ]:
        body = {"sku": "WIDGET", "quantity": 1, "location": "A-01", **change}
        assert_error(picker.post(f"{API}/fulfillments/{f}/missing", body), status, code)
    assert_error(boss.post(f"{API}/issues/IS-000042/resolve", {"action": "split"}), 404,
                 "picking.unknown_issue")
    assert_error(picker.post(f"{API}/totes/T1/pack"), 409, "picking.nothing_to_pack", "code")
    assert_error(picker.post(f"{API}/fulfillments/{f}/pack"), 409, "picking.not_picked")
    assert db_state() == before


def test_a_totes_place_is_not_a_location_people_manage(floor, api, store):
    codes = [x["code"] for x in api.get(f"{API}/locations", {"limit": 500}).json()["items"]]
    assert "tote:T1" not in codes and "A-01" in codes
    warehouse = floor[0].get(f"{API}/totes/T1").json()["warehouse"]
    before = db_state()
    assert_error(api.patch(f"{API}/locations/{warehouse}/tote:T1", {"zone": "X"}), 409,
                 "inventory.tote_location", "location")
    assert_error(api.post(f"{API}/locations", {"warehouse": warehouse, "code": "TT",
                                               "kind": "tote"}),
                 422, "inventory.unknown_location_kind", "kind")
    assert db_state() == before


def test_a_supervisor_holds_and_releases_queued_work(floor, store):
    picker, boss = floor
    f = queued("C-ACME", ("WIDGET", 1)).number
    assert_error(picker.post(f"{API}/fulfillments/{f}/hold", {}), 403, "auth.forbidden")
    held = boss.post(f"{API}/fulfillments/{f}/hold", {"reason": "address check"})
    assert held.json() == {"fulfillment": f, "held": True, "reason": "address check"}
    assert picker.get(f"{API}/pick-queue").json()["count"] == 0
    (item,) = picker.get(f"{API}/pick-queue", {"held": "true"}).json()["items"]
    assert (item["fulfillment"], item["held"], item["hold_reason"]) == (f, True,
                                                                         "address check")
    assert_error(boss.post(f"{API}/fulfillments/{f}/hold", {}), 409, "picking.already_held")
    assert boss.post(f"{API}/fulfillments/{f}/release").json()["held"] is False
    assert [x["fulfillment"] for x in picker.get(f"{API}/pick-queue").json()["items"]] == [f]
    assert_error(picker.get(f"{API}/pick-queue", {"location_kind": "tote"}), 422,
                 "picking.invalid_location_kind", "location_kind")
    assert picker.get(f"{API}/pick-queue", {"zone": "NOWHERE"}).json()["count"] == 0

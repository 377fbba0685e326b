"""The warehouse floor in a real browser at phone size (seed 000): a run of
three fulfillments into one multi-order tote with a keyboard-wedge scanner
(each scan ends with Enter), a wrong scan, an undo, a missing item on one;
the pack station completes the other two; the supervisor splits the issue;
everything dispatches with an invoice for what shipped and a backorder for
what is missing. And a `found` that sends a fulfillment back to the queue."""

from __future__ import annotations

import re

import pytest

from fillrate.accounts.permissions import Role
from fillrate.accounts.services import add_user
from fillrate.backorders.models import BackorderLine
from fillrate.core.business import change_settings
from fillrate.fulfilment.models import Fulfillment, Invoice
from fillrate.picking.services import create_pick_run, mark_missing, record_pick
from fillrate.workflows.invariants import all_problems
from tests.browser.conftest import PHONE
from tests.web_floor.conftest import floor  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct-horse-9"


@pytest.fixture
def people(db):
    add_user(username="wendy", role=Role.WAREHOUSE, password=PASSWORD)
    add_user(username="sam", role=Role.SUPERVISOR, password=PASSWORD)
    change_settings(changes={"pick_workflow": "on"})


def log_in(tab, live_server, username: str, then: str) -> None:
    from playwright.sync_api import expect

    tab.goto(f"{live_server.url}/login/?next={then}")
    tab.get_by_label("User name").fill(username)
    tab.get_by_label("Password").fill(PASSWORD)
    tab.get_by_role("button", name="Log in").click()
    expect(tab).to_have_url(re.compile(re.escape(then) + "$"))


def scan(tab, box: str, code: str) -> None:
    """What a keyboard-wedge scanner does: type the code, then Enter."""
    field = tab.get_by_label(box)
    field.click()
    field.fill("")
    field.type(code)
    field.press("Enter")


def pick_line(tab, location: str, product: str, tote: str, quantity: str | None = None):
    from playwright.sync_api import expect

    expect(tab.locator("#scan-where")).to_have_text(location)
    progress = tab.locator("#scan-progress span")
    before = progress.inner_text()
    scan(tab, "1. Scan the location", location)
    scan(tab, "2. Scan the product (UPC or SKU)", product)
    if quantity is not None:
        tab.get_by_label("3. Quantity").fill(quantity)
    tab.get_by_label("3. Quantity").press("Enter")
    scan(tab, "4. Scan the tote", tote)
    expect(progress).not_to_have_text(before)  # the pick is in: the screen moved on
    expect(tab.locator("#scan-notice")).to_contain_text("Picked")


def played(tab) -> list[str]:
    return tab.evaluate("window.floorSound.played.slice()")


def test_a_multi_order_tote_a_missing_item_split_and_shipped(open_tab, live_server,
                                                            floor, people):  # noqa: F811
    from playwright.sync_api import expect

    first, second, third = floor.first.number, floor.second.number, floor.third.number
    tab = open_tab(PHONE)
    log_in(tab, live_server, "wendy", "/scan/")
    tab.get_by_label("Fulfillments in the run").fill("3")
    tab.get_by_label(re.compile("Tote for all of them")).fill("T-1")
    tab.get_by_role("button", name="Start a run").click()
    expect(tab.locator("#scan-where")).to_have_text("A-01")
    expect(tab.locator("#scan-progress")).to_contain_text("0 of 6 units")
    expect(tab.locator("#scan-next")).to_have_text("Next: B-01")

    # A wrong location: red, the error sound, nothing recorded.
    scan(tab, "1. Scan the location", "B-01")
    wrong = tab.locator("[data-scan-message]")
    expect(wrong).to_be_visible()
    expect(wrong).to_contain_text("Wrong location")
    assert played(tab)[-1] == "error"
    # A wrong product (the press's UPC at the kettle's line).
    scan(tab, "1. Scan the location", "A-01")
    scan(tab, "2. Scan the product (UPC or SKU)", "0004445556667")
    expect(wrong).to_contain_text("Wrong product")
    assert played(tab)[-1] == "error"

    # First's kettles: one is not on the shelf. Mark it missing, pick the other.
    tab.get_by_text("Mark missing", exact=True).click()
    tab.get_by_label(re.compile("Units of KIT-KET missing at A-01")).fill("1")
    tab.get_by_role("button", name="Mark missing and go on").click()
    expect(tab.locator("#scan-notice")).to_contain_text("marked missing")
    expect(tab.locator("#scan-due")).to_have_text("Pick 1")
    pick_line(tab, "A-01", "0001112223334", "T-1")  # by UPC
    assert played(tab)[-1] == "ok", played(tab)

    # Second's kettle, by SKU; undone and scanned again.
    pick_line(tab, "A-01", "kit-ket", "t-1")
    expect(tab.locator("#scan-progress")).to_contain_text("3 of 6 units")
    tab.locator("#undo-button").click()
    expect(tab.locator("#scan-notice")).to_contain_text("Undone: 1 × KIT-KET")
    expect(tab.locator("#scan-progress")).to_contain_text("2 of 6 units")
    pick_line(tab, "A-01", "KIT-KET", "T-1")

    # B-01: first's press, then third's two presses: the quantity is filled
    # in (2) and the scanner goes straight on to the tote.
    pick_line(tab, "B-01", "KIT-PRS", "T-1")
    expect(tab.locator("#scan-due")).to_have_text("Pick 2")
    before = tab.locator("#scan-progress span").inner_text()
    scan(tab, "1. Scan the location", "B-01")
    scan(tab, "2. Scan the product (UPC or SKU)", "KIT-PRS")
    expect(tab.get_by_label("3. Quantity")).to_be_focused()
    tab.keyboard.type("T-1")
    tab.keyboard.press("Enter")
    expect(tab.locator("#scan-progress span")).not_to_have_text(before)
    expect(tab.locator("#scan-done")).to_contain_text("Nothing left to pick")
    expect(tab.locator("#scan-progress")).to_contain_text("6 of 6 units")

    # The pack station completes the two valid ones and leaves the issue one.
    tab.get_by_role("link", name="Go to the pack station").click()
    scan(tab, "Scan a tote", "T-1")
    expect(tab.locator(f"#pack-{first}")).to_contain_text("issues wall")
    tab.get_by_role("button", name="Pack all 2 complete").click()
    expect(tab.get_by_role("status").first).to_contain_text(f"Packed {second}, {third}")
    expect(tab.locator(f"#packed-{second}")).to_be_visible()
    expect(tab.locator(f"#packed-{third}")).to_be_visible()

    # The supervisor splits the issue: the rest of the first ships now.
    boss = open_tab(PHONE)
    log_in(boss, live_server, "sam", "/issues/")
    card = boss.locator(".issue-card").filter(has_text=first)
    expect(card).to_contain_text("1 × KIT-KET")
    expect(card).to_contain_text("BULK-1")
    card.get_by_role("button", name=re.compile("^Split")).click()
    expect(boss.get_by_role("status").first).to_contain_text("on backorder BO-")
    expect(boss.locator("#no-issues")).to_be_visible()

    # Back at the pack station: the first is picked (what is left of it), pack it.
    tab.goto(f"{live_server.url}/pack/?tote=T-1")
    tab.get_by_role("button", name=f"Pack {first}").click()
    expect(tab.locator(f"#packed-{first}")).to_be_visible()
    slip = open_tab(PHONE)
    log_in(slip, live_server, "wendy", f"/fulfillments/{first}/packing-slip/")
    expect(slip.locator("#slip-box")).to_contain_text("KIT-KET")
    expect(slip.locator("#slip-backorder")).to_contain_text("KIT-KET")

    # Dispatch all three at once.
    for number in (first, second, third):
        tab.get_by_label(f"Dispatch {number}").check()
    tab.get_by_label("Carrier").fill("DHL")
    tab.get_by_label("Tracking number").fill("JD014600")
    tab.get_by_role("button", name="Dispatch ticked").click()
    expect(tab.get_by_role("status").first).to_contain_text("Dispatched")

    assert set(Fulfillment.objects.filter(id__in=[floor.first.id, floor.second.id,
                                                  floor.third.id])
               .values_list("status", flat=True)) == {"dispatched"}
    invoice = Invoice.objects.get(fulfillment_id=floor.first.id)
    assert sorted((x.product.sku, x.quantity) for x in invoice.lines.all()) == [
        ("KIT-KET", 1), ("KIT-PRS", 1)]
    waiting = BackorderLine.objects.get(order_line__order_id=floor.first.order_id)
    assert (waiting.product.sku, waiting.quantity) == ("KIT-KET", 1)
    assert all_problems() == []


def test_found_sends_the_fulfillment_back_to_the_queue(open_tab, live_server,
                                                       floor, people):  # noqa: F811
    from playwright.sync_api import expect

    from fillrate.accounts.models import User

    wendy = User.objects.get(username="wendy")
    create_pick_run(fulfillments=[floor.second.number], picker="wendy", tote="T-1",
                    actor_id=wendy.id)
    mark_missing(fulfillment=floor.second.number, sku="KIT-KET", quantity=1,
                 location="A-01", actor_id=wendy.id)
    tab = open_tab(PHONE)
    log_in(tab, live_server, "sam", "/issues/")
    card = tab.locator(".issue-card").filter(has_text=floor.second.number)
    expect(card).to_contain_text("1 × KIT-KET")
    card.get_by_label("Found at").select_option("BULK-1")
    card.get_by_role("button", name=re.compile("^Found")).click()
    expect(tab.get_by_role("status").first).to_contain_text(
        f"found at BULK-1; {floor.second.number} is back in the pick queue")
    tab.goto(f"{live_server.url}/pick-queue/")
    expect(tab.locator(f"#q-{floor.second.number}")).to_be_visible()
    assert Fulfillment.objects.get(id=floor.second.id).status == "queued"
    # Picked again from where it was found.
    record_pick(run=create_pick_run(fulfillments=[floor.second.number], picker="wendy",
                                    actor_id=wendy.id).number,
                fulfillment=floor.second.number, sku="KIT-KET", location="BULK-1",
                quantity=1, tote="T-1", actor_id=wendy.id)
    assert Fulfillment.objects.get(id=floor.second.id).status == "picked"
    assert all_problems() == []


@pytest.mark.parametrize("path", ["/scan/", "scan", "/pick-queue/", "/pack/?tote=T-1",
                                  "/issues/", "/totes/"])
def test_floor_pages_fit_a_phone(open_tab, live_server, floor, people, path):  # noqa: F811
    from playwright.sync_api import expect

    from fillrate.accounts.models import User

    wendy = User.objects.get(username="wendy")
    run = create_pick_run(fulfillments=[floor.first.number], picker="wendy", tote="T-1",
                          actor_id=wendy.id)
    mark_missing(fulfillment=floor.first.number, sku="KIT-PRS", quantity=1, location="B-01",
                 actor_id=wendy.id)
    tab = open_tab(PHONE)
    log_in(tab, live_server, "sam", "/scan/")
    if path == "scan":
        path = f"/pick-runs/{run.number}/scan/"
    tab.goto(f"{live_server.url}{path}")
    expect(tab.get_by_role("heading").first).to_be_visible()
    widths = tab.evaluate("[document.documentElement.scrollWidth,"
                          " document.documentElement.clientWidth]")
    assert widths[0] <= widths[1], f"{path}: {widths[0]}px wide in a {widths[1]}px screen"


def test_the_scan_screen_works_without_javascript(chromium, live_server,
                                                  floor, people):  # noqa: F811
    """Each Enter sends the form; the page keeps what was scanned and asks
    for the next step; the pick is recorded when all four are there."""
    from playwright.sync_api import expect

    from fillrate.picking.models import Pick

    context = chromium.new_context(viewport=PHONE, java_script_enabled=False)
    context.set_default_timeout(10_000)
    try:
        tab = context.new_page()
        log_in(tab, live_server, "wendy", "/scan/")
        tab.get_by_label("Fulfillments in the run").fill("1")
        tab.get_by_role("button", name="Start a run").click()
        expect(tab.locator("#scan-where")).to_have_text("A-01")
        tab.get_by_label("1. Scan the location").fill("A-01")
        tab.get_by_label("1. Scan the location").press("Enter")
        expect(tab.get_by_label("1. Scan the location")).to_have_value("A-01")
        tab.get_by_label("2. Scan the product (UPC or SKU)").fill("KIT-PRS")
        tab.get_by_label("2. Scan the product (UPC or SKU)").press("Enter")
        expect(tab.locator("#scan-notice")).to_contain_text("Wrong product")
        assert not Pick.objects.exists()
        tab.get_by_label("2. Scan the product (UPC or SKU)").fill("KIT-KET")
        tab.get_by_label("2. Scan the product (UPC or SKU)").press("Enter")
        expect(tab.get_by_label("3. Quantity")).to_have_value("2")
        tab.get_by_label("4. Scan the tote").fill("T-1")
        tab.get_by_label("4. Scan the tote").press("Enter")
        expect(tab.get_by_role("status").first).to_contain_text("Picked 2 × KIT-KET into T-1")
        expect(tab.locator("#scan-where")).to_have_text("B-01")
        assert Pick.objects.get().quantity == 2
    finally:
        context.close()


def test_cancelling_a_run_asks_first(open_tab, live_server, floor, people):  # noqa: F811
    from playwright.sync_api import expect

    from fillrate.picking.models import PickRun

    run = create_pick_run(fulfillments=[floor.first.number], picker="wendy",
                          actor_id=None)
    tab = open_tab(PHONE)
    log_in(tab, live_server, "wendy", f"/pick-runs/{run.number}/")
    tab.once("dialog", lambda dialog: dialog.dismiss())
    tab.get_by_role("button", name="Cancel run").click()
    expect(tab.get_by_role("button", name="Cancel run")).to_be_visible()
    assert PickRun.objects.get(id=run.id).status == "open"
    tab.once("dialog", lambda dialog: dialog.accept())
    tab.get_by_role("button", name="Cancel run").click()
    expect(tab.get_by_role("status").first).to_contain_text(f"{run.number} cancelled")
    assert PickRun.objects.get(id=run.id).status == "cancelled"

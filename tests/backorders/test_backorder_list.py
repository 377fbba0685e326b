"""The backorder list: every filter, the orderings, the row flags, and bad
filter values (422 naming the parameter)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from fillrate.backorders import selectors
from fillrate.backorders.models import Backorder
from fillrate.backorders.selectors import BackorderFilters, row_flags, week_bounds
from fillrate.backorders.services import cancel_backorder, update_backorder
from fillrate.core.business import change_settings
from fillrate.core.errors import InvalidValue
from fillrate.fulfilment.selectors import filtered_backorders
from fillrate.workflows.dispatch import cancel_fulfillment
from fillrate.workflows.fulfil import fulfil_backorder
from fillrate.workflows.oversold import hold_order, release_order
from fillrate.workflows.split_order import SplitLine, backorder_order_lines
from tests.factories import CustomerFactory, ProductFactory, SalesRepFactory
from tests.orders.support import allocate_to_backorder, place

TODAY = dt.date(2031, 1, 15)  # a Wednesday: this week is 13-19 January


@pytest.fixture
def board(store, stock):
    """Five backorders, oldest first:
    b1 C-ACME (REP-1)  BOLT 2             expected 2031-01-05 (overdue)
    b2 C-VIP           GADGET 2           expected 2031-01-16 (this week), high priority
    b3 C-OTHER (REP-2) BOLT 1, NUT 4      expected 2031-01-22 (next week)
    b4 C-ACME (REP-1)  WIDGET 4 (split)   expected 2031-03-01 (later), cancelled
    b5 C-ACME (REP-1)  NUT 3              no date, all allocated (ready)
    """
    other = CustomerFactory(code="C-OTHER", sales_rep=SalesRepFactory(code="REP-2"))
    nut = ProductFactory(sku="NUT", list_price="0.20")
    numbers = {}
    numbers["b1"] = place("C-ACME", ("BOLT", 2)).backorders[0].number
    numbers["b2"] = place("C-VIP", ("GADGET", 5)).backorders[0].number
    numbers["b3"] = place(other.code, ("BOLT", 1), ("NUT", 4)).backorders[0].number
    split = place("C-ACME", ("WIDGET", 4))
    numbers["b4"] = backorder_order_lines(number=split.order.number,
                                          lines=[SplitLine(split.lines[0].id, 4)]).number
    numbers["b5"] = place("C-ACME", ("NUT", 3)).backorders[0].number
    stock(nut, 3)
    allocate_to_backorder(numbers["b5"], "NUT", 3)
    for key, date in [("b1", "2031-01-05"), ("b2", "2031-01-16"), ("b3", "2031-01-22"),
                      ("b4", "2031-03-01")]:
        update_backorder(number=numbers[key], changes={"expected_date": dt.date.fromisoformat(
            date)})
    update_backorder(number=numbers["b2"], changes={"priority": "high"})
    cancel_backorder(number=numbers["b4"], reason="customer_requested")
    return numbers


def listed(board, today=TODAY, partial_shipments=True, **filters):
    """The keys (b1..b5) the selector returns, in its order."""
    by_number = {v: k for k, v in board.items()}
    qs = filtered_backorders(BackorderFilters(**filters), today=today,
                             partial_shipments=partial_shipments)
    return [by_number[b.number] for b in qs]


def test_week_bounds():
    assert week_bounds(TODAY) == (dt.date(2031, 1, 13), dt.date(2031, 1, 20),
                                  dt.date(2031, 1, 27))
    assert week_bounds(dt.date(2031, 1, 13))[0] == dt.date(2031, 1, 13)
    assert week_bounds(dt.date(2031, 1, 19))[0] == dt.date(2031, 1, 13)


def test_statuses_and_the_annotated_figures(board):
    assert listed(board) == ["b1", "b2", "b3", "b4", "b5"]
    assert listed(board, status="open") == ["b1", "b2", "b3"]
    assert listed(board, status="ready") == ["b5"]
    assert listed(board, status="cancelled") == ["b4"]
    assert listed(board, status="active") == ["b1", "b2", "b3", "b5"]
    assert listed(board, status="complete") == []
    rows = {b.number: b for b in selectors.backorders(BackorderFilters())}
    b3, b5, b4 = rows[board["b3"]], rows[board["b5"]], rows[board["b4"]]
    assert (b3.open_quantity, b3.allocated_quantity, b3.value) == (5, 0, Decimal("2.30"))
    assert (b5.open_quantity, b5.allocated_quantity, b5.value) == (3, 3, Decimal("0.60"))
    assert (b4.open_quantity, b4.allocated_quantity, b4.value) == (0, 0, Decimal("0"))
    assert selectors.status_counts() == {"open": 3, "ready": 1, "partially_fulfilled": 0,
                                         "complete": 0, "cancelled": 1}


def test_customer_sku_sales_rep_and_priority(board):
    assert listed(board, customer="C-ACME") == ["b1", "b4", "b5"]
    assert listed(board, customer="C-NOBODY") == []
    assert listed(board, sku="BOLT") == ["b1", "b3"]
    assert listed(board, sku="NUT") == ["b3", "b5"]
    assert listed(board, sku="WIDGET", status="active") == []
    assert listed(board, sales_rep="REP-1") == ["b1", "b4", "b5"]
    assert listed(board, sales_rep="REP-2") == ["b3"]
    assert listed(board, priority="high") == ["b2"]
    assert listed(board, priority="normal") == ["b1", "b3", "b4", "b5"]
    assert listed(board, customer="C-ACME", sku="NUT", status="ready") == ["b5"]


def test_expected_buckets(board):
    assert listed(board, expected="overdue") == ["b1"]
    assert listed(board, expected="this_week") == ["b2"]
    assert listed(board, expected="next_week") == ["b3"]
    assert listed(board, expected="later") == []  # b4 is cancelled: only active ones
    assert listed(board, expected="none") == ["b5"]
    # a date earlier this week is overdue, not this week
    update_backorder(number=board["b2"], changes={"expected_date": dt.date(2031, 1, 13)})
    assert listed(board, expected="this_week") == []
    assert listed(board, expected="overdue") == ["b1", "b2"]
    # overdue means still waiting: a cancelled one is not overdue
    assert listed(board, expected="overdue", today=dt.date(2031, 6, 1)) == ["b1", "b2", "b3"]
    # from the Sunday, next Monday is next week
    assert listed(board, expected="next_week", today=dt.date(2031, 1, 19)) == ["b3"]
    assert listed(board, expected="this_week", today=dt.date(2031, 1, 20)) == ["b3"]


@pytest.mark.parametrize("bucket", ["overdue", "this_week", "next_week", "later", "none"])
def test_every_expected_bucket_lists_active_backorders_only(api, board, bucket):
    """A cancelled (or completed) backorder owes nothing: it is in no date
    bucket, whatever date it kept."""
    today = timezone.localdate()
    dates = {"overdue": today - dt.timedelta(3), "this_week": today,
             "next_week": today + dt.timedelta(7 - today.weekday()),
             "later": today + dt.timedelta(60), "none": None}
    Backorder.objects.filter(id=int(board["b4"][3:])).update(expected_date=dates[bucket])
    update_backorder(number=board["b1"], changes={"expected_date": dates[bucket]})
    listed_now = [x["number"] for x in api_list(api, expected=bucket)["items"]]
    assert board["b1"] in listed_now and board["b4"] not in listed_now
    assert all(x["status"] in ("open", "ready", "partial")
               for x in api_list(api, expected=bucket)["items"])


def test_fulfillable(board):
    assert listed(board, fulfillable=True) == ["b5"]
    assert listed(board, fulfillable=False) == ["b1", "b2", "b3", "b4"]


def test_fulfillable_with_and_without_partial_shipments(board, stock, store):
    stock(store.bolt, 1)
    allocate_to_backorder(board["b3"], "BOLT", 1)  # part of b3 is in stock
    assert Backorder.objects.get(id=int(board["b3"][3:])).status == "open"
    assert listed(board, fulfillable=True) == ["b3", "b5"]
    assert listed(board, fulfillable=True, partial_shipments=False) == ["b5"]
    assert listed(board, fulfillable=False, partial_shipments=False) == ["b1", "b2", "b3", "b4"]


def test_fulfillable_leaves_out_what_is_already_on_a_fulfillment(board):
    """"Can ship now": b5's 3 allocated NUT on a queued fulfillment are not
    fulfillable a second time; cancelling the fulfillment brings it back."""
    made = fulfil_backorder(number=board["b5"], lines=None)
    assert listed(board, fulfillable=True) == []
    assert listed(board, fulfillable=False) == ["b1", "b2", "b3", "b4", "b5"]
    cancel_fulfillment(number=made.number)
    assert listed(board, fulfillable=True) == ["b5"]


def test_fulfillable_leaves_out_backorders_of_an_order_on_hold(board):
    order = Backorder.objects.get(id=int(board["b5"][3:])).order.number
    hold_order(number=order)
    assert listed(board, fulfillable=True) == []
    release_order(number=order)
    assert listed(board, fulfillable=True) == ["b5"]


def test_the_list_itself_does_not_know_fulfillable(board):
    """It needs fulfillments: only `filtered_backorders` applies it."""
    with pytest.raises(ValueError, match="filtered_backorders"):
        selectors.backorders(BackorderFilters(fulfillable=True))


def test_orderings(board):
    assert listed(board, ordering="created") == ["b1", "b2", "b3", "b4", "b5"]
    assert listed(board, ordering="-created") == ["b5", "b4", "b3", "b2", "b1"]
    assert listed(board, ordering="expected_date") == ["b1", "b2", "b3", "b4", "b5"]
    assert listed(board, ordering="-expected_date") == ["b4", "b3", "b2", "b1", "b5"]
    assert listed(board, ordering="priority") == ["b2", "b1", "b3", "b4", "b5"]
    update_backorder(number=board["b5"], changes={"priority": "high"})
    assert listed(board, ordering="priority") == ["b2", "b5", "b1", "b3", "b4"]
    assert listed(board, ordering="-priority")[-2:] == ["b5", "b2"]


@pytest.mark.parametrize(("filters", "field"), [
    ({"status": "lost"}, "status"),
    ({"priority": "urgent"}, "priority"),
    ({"expected": "soon"}, "expected"),
    ({"ordering": "value"}, "ordering"),
])
def test_unknown_filter_values_are_422(board, filters, field):
    with pytest.raises(InvalidValue) as caught:
        list(selectors.backorders(BackorderFilters(**filters)))
    assert caught.value.field == field and caught.value.status == 422


# -- through the API ---------------------------------------------------------------


def api_list(api, **params):
    r = api.get("/api/v1/backorders", params)
    assert r.status_code == 200, r.content
    return r.json()


def test_the_api_list_filters_and_pages(api, board):
    body = api_list(api, customer="C-ACME", status="active", ordering="-created")
    assert [x["number"] for x in body["items"]] == [board["b5"], board["b1"]]
    assert body["count"] == 2
    assert body["status_counts"]["open"] == 3
    row = body["items"][0]
    assert (row["customer"], row["sales_rep"], row["open_quantity"],
            row["allocated_quantity"], row["value"], row["expected_date"]) == (
        "C-ACME", "REP-1", 3, 3, "0.60", None)
    page = api_list(api, limit=2, offset=2)
    assert page["count"] == 5 and [x["number"] for x in page["items"]] == [
        board["b3"], board["b4"]]
    assert [x["number"] for x in api_list(api, sku="BOLT", sales_rep="REP-2")["items"]] == [
        board["b3"]]
    assert [x["number"] for x in api_list(api, fulfillable="true")["items"]] == [board["b5"]]
    fulfil_backorder(number=board["b5"], lines=None)
    assert api_list(api, fulfillable="true")["items"] == []
    assert [x["number"] for x in api_list(api, priority="high")["items"]] == [board["b2"]]


def test_the_api_expected_filter_with_dates_far_from_week_ends(api, board):
    today = timezone.localdate()
    update_backorder(number=board["b1"], changes={"expected_date": today - dt.timedelta(60)})
    update_backorder(number=board["b2"], changes={"expected_date": today + dt.timedelta(90)})
    update_backorder(number=board["b3"], changes={"expected_date": today})
    assert [x["number"] for x in api_list(api, expected="overdue")["items"]] == [board["b1"]]
    # b4 (cancelled) keeps 2031-03-01 but is not listed: like 'overdue', every
    # bucket lists active backorders only
    assert [x["number"] for x in api_list(api, expected="later")["items"]] == [board["b2"]]
    assert [x["number"] for x in api_list(api, expected="this_week")["items"]] == [board["b3"]]
    assert [x["number"] for x in api_list(api, expected="none")["items"]] == [board["b5"]]


@pytest.mark.parametrize(("params", "code", "field"), [
    ({"status": "lost"}, "backorders.invalid_filter", "status"),
    ({"priority": "urgent"}, "backorders.invalid_filter", "priority"),
    ({"expected": "soon"}, "backorders.invalid_filter", "expected"),
    ({"ordering": "value"}, "backorders.invalid_ordering", "ordering"),
    ({"fulfillable": "perhaps"}, "request.invalid", "fulfillable"),
    ({"limit": "-1"}, "request.invalid", "limit"),
])
def test_bad_list_parameters_are_422_naming_the_parameter(api, board, params, code, field):
    r = api.get("/api/v1/backorders", params)
    assert r.status_code == 422, r.content
    assert (r.json()["error"]["code"], r.json()["error"]["field"]) == (code, field)


# -- flags ----------------------------------------------------------------------------


def flags_of(api, board):
    by_number = {v: k for k, v in board.items()}
    return {by_number[x["number"]]: x["flags"] for x in api_list(api)["items"]}


def test_flags_high_vip_oldest(api, board):
    assert flags_of(api, board) == {
        "b1": ["oldest"],            # first in line for BOLT
        "b2": ["high", "vip", "oldest"],
        "b3": ["oldest"],            # first in line for NUT
        "b4": [],                    # cancelled: never flagged oldest
        "b5": [],                    # behind b3 for NUT
    }
    cancel_backorder(number=board["b1"], reason="customer_requested")
    cancel_backorder(number=board["b3"], reason="customer_requested")
    flags = flags_of(api, board)
    assert flags["b5"] == ["oldest"] and flags["b1"] == [] and flags["b3"] == []
    detail = api.get(f"/api/v1/backorders/{board['b2']}").json()
    assert detail["flags"] == ["high", "vip", "oldest"]


def test_over_max_age_flags_active_backorders_older_than_the_setting(api, board):
    now = timezone.now()
    for key, days in [("b1", 31), ("b2", 30), ("b4", 100), ("b5", 45)]:
        Backorder.objects.filter(id=int(board[key][3:])).update(
            created_at=now - dt.timedelta(days=days, hours=1))
    rows = {x["number"]: x for x in api_list(api)["items"]}
    over = {k for k, v in board.items() if "over_max_age" in rows[v]["flags"]}
    assert over == {"b1", "b5"}  # older than 30 days and still active
    assert rows[board["b1"]]["age_days"] == 31 and rows[board["b2"]]["age_days"] == 30
    change_settings(changes={"max_backorder_age_days": 40})
    rows = {x["number"]: x for x in api_list(api)["items"]}
    assert {k for k, v in board.items() if "over_max_age" in rows[v]["flags"]} == {"b5"}


def test_row_flags_is_pure_enough_to_take_now(board):
    rows = list(selectors.backorders(BackorderFilters(status="active")))
    later = timezone.now() + dt.timedelta(days=11)
    flags = row_flags(rows, max_age_days=10, now=later)
    assert all(f.over_max_age and f.age_days == 11 for f in flags.values())
    assert row_flags([], max_age_days=10) == {}

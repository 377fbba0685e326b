"""Pure decisions, no database: the allocation plan, status derivation, the
backorder transition table and order totals."""

from __future__ import annotations

import itertools
from collections import Counter
from decimal import Decimal
from types import SimpleNamespace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fillrate.backorders import lifecycle
from fillrate.core.errors import Conflict
from fillrate.core.lifecycle import can_transition, check_transition
from fillrate.inventory.allocation import Candidate, Request, Take, plan_allocation
from fillrate.orders.selectors import order_totals, ready_to_ship
from fillrate.orders.status import LineQuantities, derive_order_status

# -- plan_allocation ----------------------------------------------------------


def test_candidates_are_used_in_pick_sequence_then_location_whatever_their_input_order():
    candidates = [
        Candidate(stock_level_id=1, product_id=7, free=5, pick_sequence=100, location_id=1),
        Candidate(stock_level_id=2, product_id=7, free=2, pick_sequence=10, location_id=9),
        Candidate(stock_level_id=3, product_id=7, free=4, pick_sequence=10, location_id=3),
    ]
    plan = plan_allocation([Request("a", 7, 8)], candidates)
    assert plan.takes == (Take("a", 3, 4), Take("a", 2, 2), Take("a", 1, 2))
    assert plan.shortfall == {"a": 0} and not plan.short
    assert plan_allocation([Request("a", 7, 8)], reversed(candidates)).takes == plan.takes


def test_two_requests_for_one_product_share_one_pool_in_request_order():
    candidates = [Candidate(1, 7, 6, pick_sequence=1), Candidate(2, 7, 3, pick_sequence=2)]
    plan = plan_allocation([Request("first", 7, 5), Request("second", 7, 5)], candidates)
    assert plan.takes == (Take("first", 1, 5), Take("second", 1, 1), Take("second", 2, 3))
    assert plan.allocated("first") == 5 and plan.allocated("second") == 4
    assert plan.shortfall == {"first": 0, "second": 1} and plan.short


def test_other_products_stock_is_never_taken():
    plan = plan_allocation([Request("a", 1, 3)], [Candidate(1, 2, 50)])
    assert plan.takes == () and plan.shortfall == {"a": 3}


def test_zero_and_negative_free_candidates_are_skipped():
    candidates = [Candidate(1, 7, 0, pick_sequence=1), Candidate(2, 7, -2, pick_sequence=2),
                  Candidate(3, 7, 1, pick_sequence=3)]
    plan = plan_allocation([Request("a", 7, 2)], candidates)
    assert plan.takes == (Take("a", 3, 1),) and plan.shortfall == {"a": 1}


def test_zero_stock_is_all_shortfall_and_empty_plan_is_not_short():
    plan = plan_allocation([Request("a", 7, 4), Request("b", 8, 1)], [])
    assert plan.takes == () and plan.shortfall == {"a": 4, "b": 1} and plan.short
    empty = plan_allocation([], [Candidate(1, 7, 5)])
    assert empty.takes == () and empty.shortfall == {} and not empty.short


@pytest.mark.parametrize("quantity", [0, -1])
def test_a_request_for_no_units_is_a_programming_error(quantity):
    with pytest.raises(ValueError, match="quantity"):
        plan_allocation([Request("a", 7, 1), Request("b", 7, quantity)], [Candidate(1, 7, 5)])


candidate_lists = st.lists(
    st.builds(Candidate, stock_level_id=st.integers(1, 12), product_id=st.integers(1, 3),
              free=st.integers(-2, 12), pick_sequence=st.integers(0, 5),
              location_id=st.integers(0, 5)),
    max_size=10,
    unique_by=lambda c: c.stock_level_id,
)
request_lists = st.lists(
    st.builds(Request, key=st.none(), product_id=st.integers(1, 4), quantity=st.integers(1, 15)),
    max_size=8,
).map(lambda rs: [Request(i, r.product_id, r.quantity) for i, r in enumerate(rs)])


@given(requests=request_lists, candidates=candidate_lists)
def test_plan_accounts_for_every_unit_and_never_overuses_a_candidate(requests, candidates):
    plan = plan_allocation(requests, candidates)
    by_level = {c.stock_level_id: c for c in candidates}
    for r in requests:
        assert plan.allocated(r.key) + plan.shortfall[r.key] == r.quantity
        assert 0 <= plan.shortfall[r.key] <= r.quantity
    used = Counter()
    for take in plan.takes:
        assert take.quantity > 0
        level = by_level[take.stock_level_id]
        request = next(r for r in requests if r.key == take.key)
        assert level.product_id == request.product_id
        used[take.stock_level_id] += take.quantity
    for level_id, n in used.items():
        assert n <= by_level[level_id].free
    # nobody is short of a product while some of its stock stays free
    for r in requests:
        if plan.shortfall[r.key]:
            left = sum(max(c.free, 0) - used[c.stock_level_id] for c in candidates
                       if c.product_id == r.product_id)
            assert left == 0


# -- derive_order_status ------------------------------------------------------


@pytest.mark.parametrize(("lines", "expected"), [
    ([LineQuantities(5, allocated=5)], "open"),
    ([LineQuantities(5, allocated=3, backordered=2)], "open"),
    ([LineQuantities(5, backordered=5)], "awaiting_backorder"),
    ([LineQuantities(5, shipped=3, backordered=2)], "awaiting_backorder"),
    ([LineQuantities(5, shipped=3, allocated=2)], "partially_fulfilled"),
    ([LineQuantities(5, shipped=2, allocated=1, backordered=2)], "partially_fulfilled"),
    ([LineQuantities(5, shipped=5), LineQuantities(2, cancelled=2)], "fulfilled"),
    ([LineQuantities(5, shipped=4, cancelled=1)], "fulfilled"),
    ([LineQuantities(5, cancelled=5), LineQuantities(1, cancelled=1)], "cancelled"),
    ([LineQuantities(5, allocated=2)], "open"),  # unallocated units are still to ship
    ([LineQuantities(4, allocated=4), LineQuantities(3, backordered=3)], "open"),
])
def test_order_status_follows_the_line_quantities(lines, expected):
    assert derive_order_status(lines) == expected


def test_people_set_on_hold_and_cancelled_and_they_win():
    shipped = [LineQuantities(5, shipped=5)]
    assert derive_order_status(shipped, on_hold=True) == "on_hold"
    assert derive_order_status(shipped, cancelled=True) == "cancelled"
    assert derive_order_status(shipped, on_hold=True, cancelled=True) == "cancelled"
    assert derive_order_status(iter([LineQuantities(2, allocated=2)])) == "open"


# -- backorder lifecycle ------------------------------------------------------

STATUSES = ("open", "ready", "partially_fulfilled", "complete", "cancelled")
# The table in DESIGN.md, written out: open -> ready -> partially_fulfilled ->
# complete; a partly allocated backorder may drop back from ready to open;
# cancelled from any non-terminal state.
ALLOWED = {
    ("open", "ready"), ("open", "partially_fulfilled"), ("open", "complete"),
    ("open", "cancelled"),
    ("ready", "open"), ("ready", "partially_fulfilled"), ("ready", "complete"),
    ("ready", "cancelled"),
    ("partially_fulfilled", "complete"), ("partially_fulfilled", "cancelled"),
}


def test_the_table_knows_exactly_the_five_statuses():
    assert set(lifecycle.TRANSITIONS) == set(STATUSES)
    assert {"complete", "cancelled"} == lifecycle.TERMINAL
    assert {"open", "ready", "partially_fulfilled"} == lifecycle.ACTIVE


@pytest.mark.parametrize(("current", "new"), list(itertools.product(STATUSES, repeat=2)))
def test_every_pair_of_backorder_statuses(current, new):
    if (current, new) in ALLOWED:
        check_transition(lifecycle.TRANSITIONS, current=current, new=new, app="backorders")
        assert can_transition(lifecycle.TRANSITIONS, current, new)
    else:
        with pytest.raises(Conflict) as caught:
            check_transition(lifecycle.TRANSITIONS, current=current, new=new, app="backorders")
        assert caught.value.code == "backorders.invalid_transition"
        assert caught.value.field == "status" and caught.value.status == 409
        assert repr(current) in caught.value.message and repr(new) in caught.value.message


@pytest.mark.parametrize("terminal", ["complete", "cancelled"])
def test_complete_and_cancelled_are_terminal(terminal):
    assert lifecycle.TRANSITIONS[terminal] == frozenset()
    for new in STATUSES:
        assert not can_transition(lifecycle.TRANSITIONS, terminal, new)
    with pytest.raises(Conflict):
        lifecycle.check_cancel(terminal)
    lifecycle.check(terminal, terminal)  # staying put is no transition


def test_cancel_is_allowed_from_every_active_status_and_unknown_status_goes_nowhere():
    for status in lifecycle.ACTIVE:
        lifecycle.check_cancel(status)
    with pytest.raises(Conflict):
        lifecycle.check("reopened", "open")
    with pytest.raises(Conflict):
        lifecycle.check("open", "reopened")


BL = lifecycle.LineQuantities


@pytest.mark.parametrize(("lines", "expected"), [
    ([BL(5)], "open"),
    ([BL(5, allocated=3)], "open"),  # partly allocated stays open
    ([BL(5, allocated=5)], "ready"),
    ([BL(5, allocated=3, cancelled=2)], "ready"),
    ([BL(5, allocated=5), BL(2)], "open"),
    ([BL(5, fulfilled=2, allocated=3)], "partially_fulfilled"),
    ([BL(5, fulfilled=2)], "partially_fulfilled"),
    ([BL(5, fulfilled=5), BL(2, cancelled=2)], "complete"),
    ([BL(5, fulfilled=3, cancelled=2)], "complete"),
    ([BL(5, cancelled=5), BL(1, cancelled=1)], "cancelled"),
])
def test_backorder_status_follows_its_lines(lines, expected):
    assert lifecycle.derive_status(lines) == expected


# -- order_totals and ready_to_ship ------------------------------------------


def _line(id, quantity, price, *, cancelled=0, allocated=0, shipped=0, backordered=0):
    return SimpleNamespace(id=id, quantity=quantity, unit_price=Decimal(price),
                           cancelled=cancelled, allocated=allocated, shipped=shipped,
                           backordered=backordered)


def test_amount_due_leaves_out_backordered_units_until_they_ship():
    lines = [_line(1, 10, "4.00", cancelled=2), _line(2, 5, "10.00", backordered=3)]
    on = order_totals(lines=lines, amount_paid=Decimal("0"), charge_backorders_on_shipment=True)
    assert (on.total, on.backordered_value, on.amount_due) == (
        Decimal("82.00"), Decimal("30.00"), Decimal("52.00"))
    off = order_totals(lines=lines, amount_paid=Decimal("0"),
                       charge_backorders_on_shipment=False)
    assert (off.total, off.backordered_value, off.amount_due) == (
        Decimal("82.00"), Decimal("30.00"), Decimal("82.00"))


def test_amount_due_subtracts_payments_and_is_never_negative():
    part = order_totals(lines=[_line(1, 2, "5.00")], amount_paid=Decimal("4.50"),
                        charge_backorders_on_shipment=True)
    assert part.amount_due == Decimal("5.50")
    over = order_totals(lines=[_line(1, 2, "5.00", backordered=2)], amount_paid=Decimal("10.00"),
                        charge_backorders_on_shipment=True)
    assert over.amount_due == Decimal("0") and over.total == Decimal("10.00")
    assert order_totals(lines=[], amount_paid=Decimal("0"),
                        charge_backorders_on_shipment=False).total == Decimal("0")


def test_ready_to_ship_needs_stock_and_for_ship_complete_orders_every_unit():
    open_order = SimpleNamespace(status="open", ship_complete=False)
    complete_only = SimpleNamespace(status="open", ship_complete=True)
    partly = [_line(1, 5, "1", allocated=3), _line(2, 2, "1")]
    full = [_line(1, 5, "1", allocated=3, shipped=1, cancelled=1), _line(2, 2, "1", allocated=2)]
    assert ready_to_ship(open_order, partly, {})
    assert not ready_to_ship(complete_only, partly, {})
    assert ready_to_ship(complete_only, full, {})
    assert not ready_to_ship(open_order, [_line(1, 5, "1")], {})
    for status in ("on_hold", "cancelled"):
        assert not ready_to_ship(SimpleNamespace(status=status, ship_complete=False), full, {})


def test_ready_to_ship_counts_what_backorders_hold_only_for_ship_complete_orders():
    open_order = SimpleNamespace(status="awaiting_backorder", ship_complete=False)
    complete_only = SimpleNamespace(status="awaiting_backorder", ship_complete=True)
    # 3 units on a backorder that holds 2 of them so far
    lines = [_line(1, 5, "1", allocated=2, backordered=3)]
    assert not ready_to_ship(complete_only, lines, {1: 2})
    assert ready_to_ship(complete_only, lines, {1: 3})
    # only a backorder holds stock: the order's own lines have nothing to ship
    only_backorder = [_line(1, 3, "1", backordered=3)]
    assert not ready_to_ship(open_order, only_backorder, {1: 3})
    assert ready_to_ship(complete_only, only_backorder, {1: 3})

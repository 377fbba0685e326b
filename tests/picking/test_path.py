"""The pick path (pure): ordered by pick sequence, shared stock, picked units."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from fillrate.picking.path import Holding, PathLine, next_step, plan_pick_path

A1 = Holding(location_id=1, location="A-01", pick_sequence=10, quantity=5, zone="A")
B1 = Holding(location_id=2, location="B-01", pick_sequence=20, quantity=5, zone="B")
C1 = Holding(location_id=3, location="C-01", pick_sequence=5, quantity=2, zone="C")


def line(ff="FF-000001", *, position=0, line_id=1, order_line_id=1, sku="S1", quantity=3,
         picked=None, missing=0, tote=None):
    return PathLine(fulfillment=ff, position=position, line_id=line_id,
                    order_line_id=order_line_id, sku=sku, upc=f"U{sku}", name=sku,
                    quantity=quantity, tote=tote, picked=picked or {}, missing=missing)


def walk(steps):
    return [(s.location, s.fulfillment, s.sku, s.quantity, s.picked) for s in steps]


def test_steps_follow_the_pick_sequence_not_the_order_of_the_lines():
    steps = plan_pick_path(
        [line(line_id=1, order_line_id=1, sku="S1", quantity=2),
         line(line_id=2, order_line_id=2, sku="S2", quantity=1)],
        {1: [B1], 2: [A1]})
    assert walk(steps) == [("A-01", "FF-000001", "S2", 1, 0), ("B-01", "FF-000001", "S1", 2, 0)]


def test_a_line_takes_the_best_location_first_then_the_next():
    steps = plan_pick_path([line(quantity=4)], {1: [A1, C1]})
    assert walk(steps) == [("C-01", "FF-000001", "S1", 2, 0), ("A-01", "FF-000001", "S1", 2, 0)]


def test_two_fulfillments_of_one_order_line_share_its_stock_in_run_order():
    steps = plan_pick_path(
        [line("FF-000002", position=1, line_id=2, quantity=3),
         line("FF-000001", position=0, line_id=1, quantity=3)],
        {1: [C1, A1]})
    assert walk(steps) == [("C-01", "FF-000001", "S1", 2, 0),
                           ("A-01", "FF-000001", "S1", 1, 0),
                           ("A-01", "FF-000002", "S1", 3, 0)]


def test_at_one_location_the_run_order_then_the_sku_decide():
    steps = plan_pick_path(
        [line("FF-000002", position=1, line_id=3, order_line_id=3, sku="S0", quantity=1),
         line("FF-000001", position=0, line_id=2, order_line_id=2, sku="S9", quantity=1),
         line("FF-000001", position=0, line_id=1, order_line_id=1, sku="S5", quantity=1)],
        {1: [A1], 2: [A1], 3: [A1]})
    assert [(s.fulfillment, s.sku) for s in steps] == [
        ("FF-000001", "S5"), ("FF-000001", "S9"), ("FF-000002", "S0")]


def test_picked_units_stay_on_the_path_at_the_location_they_came_from():
    steps = plan_pick_path([line(quantity=4, picked={1: 3}, tote="T1")],
                           {1: [Holding(1, "A-01", 10, 1)]}, {1: A1})
    assert walk(steps) == [("A-01", "FF-000001", "S1", 4, 3)]
    assert steps[0].remaining == 1 and steps[0].tote == "T1"
    assert next_step(steps) == steps[0]


def test_missing_units_are_not_planned_and_stock_held_nowhere_is_a_step_without_a_place():
    steps = plan_pick_path([line(quantity=5, missing=1)], {1: [C1]})
    assert walk(steps) == [("C-01", "FF-000001", "S1", 2, 0), ("", "FF-000001", "S1", 2, 0)]
    assert steps[-1].location_id is None and steps[-1].pick_sequence is None


def test_next_step_skips_what_is_done_and_what_has_no_place():
    steps = plan_pick_path([line(line_id=1, quantity=2, picked={3: 2}),
                            line(line_id=2, order_line_id=2, sku="S2", quantity=1)],
                           {1: [], 2: []}, {3: C1})
    assert next_step(steps) is None


@given(st.lists(st.integers(min_value=1, max_value=9), min_size=1, max_size=6),
       st.lists(st.tuples(st.integers(0, 50), st.integers(0, 9)), min_size=0, max_size=5))
def test_every_unit_is_planned_once_and_the_walk_never_goes_back(quantities, places):
    holdings = [Holding(location_id=i + 1, location=f"L{i:02d}", pick_sequence=seq,
                        quantity=q) for i, (seq, q) in enumerate(places)]
    lines = [line(f"FF-{i:06d}", position=i, line_id=i + 1, quantity=q)
             for i, q in enumerate(quantities)]
    steps = plan_pick_path(lines, {1: holdings})
    assert sum(s.quantity for s in steps) == sum(quantities)
    held = {h.location_id: h.quantity for h in holdings}
    for h in holdings:
        assert sum(s.quantity for s in steps if s.location_id == h.location_id) <= held[
            h.location_id]
    sequence = [s.pick_sequence for s in steps if s.pick_sequence is not None]
    assert sequence == sorted(sequence)

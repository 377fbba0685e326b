"""The pick path as the scan screen and the pick list show it (pure)."""

from __future__ import annotations

from fillrate.picking.pages import PickedUnits, path_view
from fillrate.picking.path import PickStep


def step(location, sku, quantity, picked=0, *, location_id=1, fulfillment="FF-000001",
         tote="T-1"):
    return PickStep(fulfillment=fulfillment, line_id=hash((location, sku)) % 1000,
                    location_id=location_id, location=location, pick_sequence=10, zone="",
                    sku=sku, upc=f"0{sku}", name=f"{sku} name", quantity=quantity,
                    picked=picked, tote=tote)


def test_the_current_stop_is_the_first_with_units_due_and_the_next_location_differs():
    steps = [step("A-01", "KET", 2, picked=2), step("A-01", "PRS", 1),
             step("A-01", "BEA", 3, fulfillment="FF-000002"), step("B-02", "CUP", 4)]
    path = path_view(steps, [PickedUnits(2, "KET", "A-01", "T-1", "FF-000001")],
                     missing_units=1, issue_count=1, current=steps[1])
    assert (path.current.sku, path.current.due, path.current.sequence) == ("PRS", 1, 2)
    assert path.next_location == "B-02"
    assert [s.new_location for s in path.stops] == [True, False, False, True]
    assert (path.done_units, path.total_units) == (3, 11)  # 2 picked + 1 missing of 10 + 1
    assert path.last_pick.sku == "KET" and path.stop_number == 2


def test_units_nobody_holds_are_not_a_stop_to_walk_to():
    steps = [step("A-01", "KET", 1), step("", "GONE", 2, location_id=None)]
    path = path_view(steps, [], missing_units=0, issue_count=0, current=steps[0])
    assert path.current.sku == "KET" and path.next_location == ""
    path = path_view(steps, [], missing_units=0, issue_count=0)
    assert path.current is None and path.next_location == ""
    assert path.stops[1].location == "—" and path.last_pick is None

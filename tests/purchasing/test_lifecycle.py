"""The purchase-order transition table, walked pair by pair, and the status
the lines imply after a receipt (pure, no database)."""

from __future__ import annotations

import itertools

import pytest

from fillrate.core.errors import Conflict
from fillrate.purchasing import lifecycle
from fillrate.purchasing.lifecycle import LineQuantities, derive_receipt_status

STATUSES = ["draft", "ordered", "partially_received", "received", "cancelled"]
ALLOWED = {
    ("draft", "ordered"), ("draft", "cancelled"),
    ("ordered", "partially_received"), ("ordered", "received"), ("ordered", "cancelled"),
    ("partially_received", "received"), ("partially_received", "cancelled"),
}


def test_the_table_names_every_status_and_the_terminal_ones():
    assert set(lifecycle.TRANSITIONS) == set(STATUSES)
    assert {"received", "cancelled"} == lifecycle.TERMINAL
    assert {"ordered", "partially_received"} == lifecycle.OPEN


@pytest.mark.parametrize(("current", "new"), list(itertools.product(STATUSES, repeat=2)))
def test_every_pair_of_purchase_order_statuses(current, new):
    if (current, new) in ALLOWED:
        lifecycle.check_action(current, new)
        lifecycle.check(current, new)
    else:
        with pytest.raises(Conflict) as caught:
            lifecycle.check_action(current, new)
        assert caught.value.code == "purchasing.invalid_transition"
        assert (caught.value.field, caught.value.status) == ("status", 409)
        assert repr(current) in caught.value.message and repr(new) in caught.value.message
        if current == new:
            lifecycle.check(current, new)  # a receipt that leaves the status is no move
        else:
            with pytest.raises(Conflict):
                lifecycle.check(current, new)


def test_unknown_statuses_go_nowhere():
    with pytest.raises(Conflict):
        lifecycle.check("lost", "ordered")
    with pytest.raises(Conflict):
        lifecycle.check_action("ordered", "lost")


@pytest.mark.parametrize(("lines", "status"), [
    ([LineQuantities(5), LineQuantities(3)], "ordered"),
    ([LineQuantities(5, received=2), LineQuantities(3)], "partially_received"),
    ([LineQuantities(5, received=5), LineQuantities(3)], "partially_received"),
    ([LineQuantities(5, received=5), LineQuantities(3, received=3)], "received"),
    ([LineQuantities(5, received=9), LineQuantities(3, received=3)], "received"),
    ([LineQuantities(5, received=9), LineQuantities(3)], "partially_received"),
    ([LineQuantities(5, received=2, cancelled=3)], "received"),
])
def test_the_status_a_receipt_leaves(lines, status):
    assert derive_receipt_status(lines) == status


def test_outstanding_never_goes_below_zero():
    assert LineQuantities(5, received=7).outstanding == 0
    assert LineQuantities(5, received=2, cancelled=1).outstanding == 2

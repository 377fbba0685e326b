"""The one lifecycle guard, over a toy table (pure: no database)."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fillrate.core.errors import Conflict, DomainError
from fillrate.core.lifecycle import can_transition, check_transition

TOY = {
    "draft": frozenset({"open", "cancelled"}),
    "open": frozenset({"done", "cancelled"}),
    "done": frozenset(),
    "cancelled": frozenset(),
}
STATES = sorted(TOY)
ALLOWED = {(a, b) for a, targets in TOY.items() for b in targets}
PAIRS = list(itertools.product(STATES + ["unknown"], STATES + ["unknown"]))


@pytest.mark.parametrize(("current", "new"), sorted(ALLOWED))
def test_allowed_transitions_pass(current, new):
    assert can_transition(TOY, current, new)
    assert check_transition(TOY, current=current, new=new, app="toys") is None


@pytest.mark.parametrize(("current", "new"), [p for p in PAIRS if p not in ALLOWED])
def test_every_other_pair_is_refused(current, new):
    assert not can_transition(TOY, current, new)
    with pytest.raises(Conflict) as exc:
        check_transition(TOY, current=current, new=new, app="toys")
    error = exc.value
    assert isinstance(error, DomainError) and error.status == 409
    assert (error.code, error.field) == ("toys.invalid_transition", "status")
    assert repr(current) in error.message and repr(new) in error.message


def test_staying_put_is_not_a_transition_unless_listed():
    assert not can_transition(TOY, "open", "open")
    assert can_transition({"open": frozenset({"open"})}, "open", "open")


def test_terminal_states_go_nowhere():
    for terminal in ("done", "cancelled"):
        assert not any(can_transition(TOY, terminal, s) for s in STATES)


@given(st.dictionaries(st.sampled_from("abcde"), st.frozensets(st.sampled_from("abcde"))),
       st.sampled_from("abcdef"), st.sampled_from("abcdef"))
def test_the_guard_is_exactly_table_membership(table, current, new):
    expected = new in table.get(current, frozenset())
    assert can_transition(table, current, new) is expected
    if expected:
        check_transition(table, current=current, new=new, app="x")
    else:
        with pytest.raises(Conflict):
            check_transition(table, current=current, new=new, app="x")

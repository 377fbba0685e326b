"""The pure ranking of waiting backorder lines: who gets new stock first."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fillrate.backorders.ranking import WaitingLine, rank_keys, rank_waiting_lines
from fillrate.core.errors import InvalidValue

T0 = dt.datetime(2030, 1, 1, 9, 0, tzinfo=dt.UTC)


def line(line_id, backorder_id, minutes, *, high=False, vip=False, product_id=1, waiting=1):
    return WaitingLine(line_id=line_id, backorder_id=backorder_id, product_id=product_id,
                       waiting=waiting, created_at=T0 + dt.timedelta(minutes=minutes),
                       high=high, vip=vip)


OLD = line(1, 10, 0)
VIP = line(2, 11, 5, vip=True)
HIGH = line(3, 12, 10, high=True)
HIGH_VIP = line(4, 13, 20, high=True, vip=True)
NEW = line(5, 14, 30)


def ids(lines):
    return [x.line_id for x in lines]


def test_fifo_is_oldest_backorder_first_whatever_priority_or_vip():
    assert ids(rank_waiting_lines([NEW, HIGH_VIP, HIGH, VIP, OLD], policy="fifo")) == [
        1, 2, 3, 4, 5]


def test_priority_is_high_then_vip_then_oldest():
    assert ids(rank_waiting_lines([NEW, OLD, VIP, HIGH, HIGH_VIP], policy="priority")) == [
        4, 3, 2, 1, 5]


def test_ties_on_created_at_go_to_the_lower_backorder_then_line_id():
    a, b, c = line(7, 21, 0), line(6, 21, 0), line(5, 20, 0)
    assert ids(rank_waiting_lines([a, b, c], policy="fifo")) == [5, 6, 7]
    assert ids(rank_waiting_lines([a, b, c], policy="priority")) == [5, 6, 7]


def test_an_unknown_policy_is_a_clear_error():
    with pytest.raises(InvalidValue) as e:
        rank_waiting_lines([OLD], policy="loudest")
    assert (e.value.code, e.value.field) == ("backorders.unknown_policy", "allocation_policy")


def test_both_policies_end_in_created_at_then_ids():
    for policy in ("fifo", "priority"):
        assert rank_keys(policy)[-3:] == (("created_at", False), ("backorder_id", False),
                                          ("line_id", False))


lines_strategy = st.lists(
    st.builds(line, line_id=st.integers(1, 10_000), backorder_id=st.integers(1, 50),
              minutes=st.integers(0, 100), high=st.booleans(), vip=st.booleans()),
    max_size=30, unique_by=lambda x: x.line_id)


@given(lines_strategy)
def test_priority_never_puts_a_lower_class_before_a_higher_one(lines):
    ranked = rank_waiting_lines(lines, policy="priority")
    classes = [(not x.high, not x.vip) for x in ranked]
    assert classes == sorted(classes)
    assert sorted(ids(ranked)) == sorted(ids(lines))


@given(lines_strategy)
def test_fifo_is_sorted_by_age_and_is_a_permutation(lines):
    ranked = rank_waiting_lines(lines, policy="fifo")
    assert [x.created_at for x in ranked] == sorted(x.created_at for x in lines)
    assert sorted(ids(ranked)) == sorted(ids(lines))

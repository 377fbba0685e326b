"""Pure: the fulfillment transition table, walked pair by pair, and due dates."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from fillrate.core.errors import Conflict
from fillrate.fulfilment import lifecycle
from fillrate.fulfilment.models import FulfillmentStatus
from fillrate.fulfilment.services import due_date

PAIRS = list(itertools.product(FulfillmentStatus.values, repeat=2))


def test_the_table_names_every_status_and_only_known_ones():
    assert set(lifecycle.TRANSITIONS) == set(FulfillmentStatus.values)
    for targets in lifecycle.TRANSITIONS.values():
        assert targets <= set(FulfillmentStatus.values)


@pytest.mark.parametrize(("current", "new"), PAIRS, ids=lambda s: s)
def test_every_pair_is_allowed_or_refused_by_the_table(current, new):
    if new in lifecycle.TRANSITIONS[current]:
        lifecycle.check(current, new)
    else:
        with pytest.raises(Conflict) as err:
            lifecycle.check(current, new)
        assert err.value.code == "fulfilment.invalid_transition"


def test_this_issue_s_path_and_the_closed_states():
    lifecycle.check("queued", "dispatched")
    lifecycle.check("dispatched", "delivered")
    lifecycle.check("queued", "cancelled")
    for closed in ("delivered", "cancelled"):
        assert lifecycle.TRANSITIONS[closed] == frozenset()
    assert lifecycle.TRANSITIONS["dispatched"] == {"delivered"}
    assert "dispatched" not in lifecycle.PENDING and "queued" in lifecycle.PENDING


@pytest.mark.parametrize(("terms", "days"), [
    ("Net 30", 30), ("net14", 14), ("NET 60 days", 60), ("Prepaid", 0), ("", 0),
    ("Due on receipt", 0)])
def test_due_date_follows_net_terms(terms, days):
    assert due_date(dt.date(2026, 1, 31), terms) == dt.date(2026, 1, 31) + dt.timedelta(days)

"""One link, one choice: the same link sent twice at once (two tabs, a
double click) is applied once, with real threads on PostgreSQL."""

from __future__ import annotations

import pytest

from fillrate.backorders.models import Backorder, ChoiceLinkUse, Communication
from fillrate.comms.links import ChoiceLinkError, choice_token, read_choice_token
from fillrate.orders.services import LineInput
from fillrate.workflows.choice import apply_choice
from fillrate.workflows.invariants import all_problems
from fillrate.workflows.place_order import place_order
from tests.factories import CustomerFactory, ProductFactory
from tests.orders.test_concurrency import run_together

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_a_link_sent_twice_at_once_is_applied_once():
    CustomerFactory(code="C-RACE")
    ProductFactory(sku="RACE-1")
    backorder = place_order(customer="C-RACE", lines=[LineInput("RACE-1", 3)]).backorders[0]
    token = read_choice_token(choice_token(backorder))
    results, errors = run_together([
        lambda: apply_choice(token=token, choice="cancel"),
        lambda: apply_choice(token=token, choice="wait"),
        lambda: apply_choice(token=token, choice="cancel"),
    ])
    applied = [r for r in results if r is not None]
    assert len(applied) == 1
    assert sorted(e.reason for e in errors if e is not None) == ["used", "used"]
    assert all(isinstance(e, ChoiceLinkError) for e in errors if e is not None)
    use = ChoiceLinkUse.objects.get()
    assert Communication.objects.get().preference == use.choice == applied[0].choice
    expected = "cancelled" if use.choice == "cancel" else "open"
    assert Backorder.objects.get(id=backorder.id).status == expected
    assert all_problems() == []

from __future__ import annotations

import re

import pytest

from fillrate.core.business import business_settings
from tests.helpers import db_state

pytestmark = pytest.mark.django_db

FORM = {"oversell_policy": "hold", "allocation_policy": "priority", "partial_shipments": "on",
        "max_backorder_age_days": "14", "notify_customers": "on"}


def test_administrator_changes_settings(admin_web):
    page = admin_web.get("/settings/").content.decode()
    assert "Oversell policy" in page and "oldest backorder first" in page
    response = admin_web.post("/settings/", FORM)
    assert response.status_code == 302
    s = business_settings()
    assert (s.oversell_policy, s.allocation_policy, s.max_backorder_age_days) == (
        "hold", "priority", 14)
    assert s.charge_backorders_on_shipment is False  # unchecked box


@pytest.mark.parametrize("change,message", [
    ({"max_backorder_age_days": "soon"}, "Enter a whole number of days."),
    ({"max_backorder_age_days": "0"}, "from 1 to 3650"),
    ({"oversell_policy": "shrug"}, "Oversell policy must be one of"),
    ({"max_backorder_age_days": "9999"}, "Maximum backorder age (days) must be a whole number"),
])
def test_invalid_settings_are_explained_and_nothing_changes(admin_web, change, message):
    before = db_state()
    body = admin_web.post("/settings/", {**FORM, **change}).content.decode()
    assert message in body and 'role="alert"' in body
    assert db_state() == before


def test_the_settings_page_says_words_not_names(admin_web, login):
    from fillrate.accounts.permissions import Role

    body = admin_web.post("/settings/", {**FORM, "max_backorder_age_days": "0"}).content.decode()
    text = re.sub(r"<[^>]+>", " ", body)  # what a person reads
    assert "Maximum backorder age (days) must be" in text and "_" not in text
    page = login(Role.SALES).get("/settings/").content.decode()  # read-only
    assert ">FIFO<" in page and ">fifo<" not in page

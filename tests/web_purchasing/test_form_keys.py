"""One-time form keys on the receive screen: the same form sent twice books
one receipt, and the second answer is the first one's result page."""

from __future__ import annotations

import re

import pytest

from fillrate.accounts.permissions import Role
from fillrate.purchasing.models import Receipt
from fillrate.web.form_keys import ALREADY_SAVED
from fillrate.web.models import FormSubmission
from tests.web_purchasing.conftest import state
from tests.web_purchasing.test_receive import line_ids

pytestmark = pytest.mark.django_db


def form_key_of(html: str) -> str:
    keys = re.findall(r'name="form_key" value="" data-form-key="([^"]+)"', html)
    assert len(keys) == 1, keys
    return keys[0]


def test_the_receive_form_sent_twice_books_one_receipt(login, waiting):
    client = login(Role.WAREHOUSE)
    url = f"/purchase-orders/{waiting.po}/receive/"
    key = form_key_of(client.get(url).content.decode())
    ids = line_ids(waiting.po)
    data = {f"qty-{ids['GADGET']}": "5", "form_key": key}

    first = client.post(url, data)
    assert first.status_code == 302
    receipt = Receipt.objects.get()
    after_first = state()

    again = client.post(url, data, follow=True)
    assert again.redirect_chain == [(first["Location"], 302)]
    assert Receipt.objects.get() == receipt
    assert state() == after_first
    assert ALREADY_SAVED in again.content.decode()
    assert FormSubmission.objects.filter(key=key).count() == 1


def test_a_form_sent_back_with_mistakes_keeps_its_key_usable(login, waiting):
    client = login(Role.WAREHOUSE)
    url = f"/purchase-orders/{waiting.po}/receive/"
    key = form_key_of(client.get(url).content.decode())
    ids = line_ids(waiting.po)
    before = state()
    refused = client.post(url, {f"qty-{ids['GADGET']}": "-1", "form_key": key})
    assert refused.status_code == 200 and not Receipt.objects.exists()
    assert state() == before
    assert not FormSubmission.objects.exists()
    fixed = client.post(url, {f"qty-{ids['GADGET']}": "2", "form_key": key})
    assert fixed.status_code == 302 and Receipt.objects.count() == 1


def test_keys_are_per_user(login, waiting):
    """Another user's key of the same text is not a replay of theirs."""
    url = f"/purchase-orders/{waiting.po}/receive/"
    ids = line_ids(waiting.po)
    one, other = login(Role.WAREHOUSE), login(Role.SUPERVISOR)
    one.post(url, {f"qty-{ids['GADGET']}": "1", "form_key": "same-text"})
    other.post(url, {f"qty-{ids['GADGET']}": "1", "form_key": "same-text"})
    assert Receipt.objects.count() == 2

"""The choice link: absolute, signed, expiring after 14 days, single-use."""

from __future__ import annotations

from datetime import timedelta
from unittest import mock

import pytest
from django.core import signing

from fillrate.backorders.models import ChoiceLinkUse
from fillrate.comms.links import ChoiceLinkError, choice_url, read_choice_token
from tests.orders.support import place


@pytest.fixture
def backorder(store):
    return place("C-ACME", ("GADGET", 5)).backorders[0]


def token_of(url: str) -> str:
    return url.rstrip("/").rsplit("/", 1)[1]


def test_the_url_is_absolute_from_the_public_url_setting(backorder, settings):
    settings.PUBLIC_URL = "https://shop.example.com"
    url = choice_url(backorder)
    assert url.startswith("https://shop.example.com/choice/") and url.endswith("/")
    assert read_choice_token(token_of(url)).backorder_id == backorder.pk


def test_each_link_is_different_and_names_its_backorder(backorder):
    first, second = choice_url(backorder), choice_url(backorder.pk)
    assert first != second
    assert read_choice_token(token_of(second)).backorder_id == backorder.pk


def test_a_tampered_token_is_invalid(backorder):
    token = token_of(choice_url(backorder))
    forged = signing.dumps({"b": backorder.pk + 1, "n": "x"}, salt="another-salt")
    for bad in (token[:-2] + ("AA" if token[-2:] != "AA" else "BB"), forged, "nonsense", ""):
        with pytest.raises(ChoiceLinkError) as caught:
            read_choice_token(bad)
        assert caught.value.reason == "invalid"


def test_a_link_older_than_fourteen_days_is_expired(backorder):
    token = token_of(choice_url(backorder))
    later = signing.time.time() + timedelta(days=14, minutes=1).total_seconds()
    with (mock.patch("django.core.signing.time.time", return_value=later),
          pytest.raises(ChoiceLinkError) as caught):
        read_choice_token(token)
    assert caught.value.reason == "expired"
    almost = signing.time.time() + timedelta(days=13, hours=23).total_seconds()
    with mock.patch("django.core.signing.time.time", return_value=almost):
        assert read_choice_token(token).backorder_id == backorder.pk


def test_a_used_link_is_used(backorder):
    token = token_of(choice_url(backorder))
    parsed = read_choice_token(token)
    ChoiceLinkUse.objects.create(nonce=parsed.nonce, backorder_id=backorder.pk, choice="wait")
    with pytest.raises(ChoiceLinkError) as caught:
        read_choice_token(token)
    assert caught.value.reason == "used"

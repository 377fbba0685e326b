"""The shared kernel: errors, document numbers, events."""

from __future__ import annotations

import pytest
from django.db import transaction
from hypothesis import given
from hypothesis import strategies as st

from fillrate.core.errors import (
    BadRequest,
    Conflict,
    DomainError,
    InvalidValue,
    NotFound,
    PermissionDenied,
)
from fillrate.core.events import record_event, record_events
from fillrate.core.models import Event
from fillrate.core.numbers import format_number, parse_number


def test_error_kinds_map_to_http_statuses():
    assert [k.status for k in (DomainError, Conflict, NotFound, InvalidValue, BadRequest,
                                PermissionDenied)] == [409, 409, 404, 422, 400, 403]
    error = InvalidValue("app.reason", "a message", field="lines[0].quantity")
    assert (error.code, error.message, error.field, str(error)) == (
        "app.reason", "a message", "lines[0].quantity", "a message")


def test_numbers():
    assert format_number("SO", 123) == "SO-000123"
    assert format_number("BO", 1_234_567) == "BO-1234567"
    assert parse_number("SO", " so-000123 ", what="order") == 123
    for bad in ("SO-", "BO-000123", "SO-12a", "123", "SO--1", "SO-" + "9" * 19,
                "SO-" + "9" * 40):
        with pytest.raises(NotFound) as exc:
            parse_number("SO", bad, what="order")
        assert exc.value.code == "order.not_found"


@given(st.integers(min_value=1, max_value=10**18 - 1))
def test_numbers_round_trip(pk):
    assert parse_number("PO", format_number("PO", pk), what="purchase_order") == pk


def test_events_must_be_written_inside_the_change_s_transaction(transactional_db):
    with pytest.raises(RuntimeError):
        record_event(type="ProductCreated", subject_type="thing", subject="T-1")
    with pytest.raises(RuntimeError):
        record_events([{"type": "ProductCreated", "subject_type": "thing", "subject": "T-1"}])
    assert not Event.objects.exists()


def test_events_store_json_payloads(db):
    from datetime import date
    from decimal import Decimal

    with transaction.atomic():
        event = record_event(type="ProductCreated", subject_type="thing", subject="T-1",
                             payload={"price": Decimal("1.50"), "on": date(2025, 1, 2)})
        record_events([{"type": "CustomerCreated", "subject_type": "thing", "subject": "T-2"}])
    event.refresh_from_db()
    assert event.payload == {"price": "1.50", "on": "2025-01-02"}
    assert list(Event.objects.values_list("type", "payload")) == [
        ("ProductCreated", {"price": "1.50", "on": "2025-01-02"}), ("CustomerCreated", {})]


def test_deleting_a_user_keeps_their_events_without_an_actor(db):
    from fillrate.accounts.models import User

    user = User.objects.create(username="gone", role="sales")
    with transaction.atomic():
        record_event(type="ProductCreated", subject_type="thing", subject="T-1", actor_id=user.id)
    user.delete()
    event = Event.objects.get(subject="T-1")
    assert event.actor_id is None and event.type == "ProductCreated"


def test_startup_objects_are_frozen_out_of_the_collector():
    import gc

    from fillrate.core.process import freeze_startup_objects

    try:
        freeze_startup_objects()
        assert gc.get_freeze_count() > 10_000  # Django and the app are loaded
    finally:
        gc.unfreeze()

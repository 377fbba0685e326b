"""retry_on_lock_conflict: a transaction that lost a lock race is rolled back
and run again a few times, then `request.busy` (503); nothing else is retried."""

from __future__ import annotations

import logging
import threading
import time

import pytest
from django.db import OperationalError, connection, transaction

from fillrate.core import retry
from fillrate.core.errors import Busy, Conflict
from fillrate.core.models import Event
from fillrate.core.retry import retry_on_lock_conflict


class DriverError(Exception):
    def __init__(self, sqlstate):
        super().__init__(sqlstate)
        self.sqlstate = sqlstate


def lock_error(sqlstate):
    err = OperationalError(f"simulated {sqlstate}")
    err.__cause__ = DriverError(sqlstate)
    return err


@pytest.fixture(autouse=True)
def no_backoff(monkeypatch):
    monkeypatch.setattr(retry, "BACKOFF_SECONDS", 0.0)


@pytest.mark.django_db
@pytest.mark.parametrize("sqlstate", ["40P01", "40001", "55P03"])
def test_lost_lock_races_are_retried_and_their_writes_rolled_back(sqlstate):
    calls = []

    @retry_on_lock_conflict
    def work():
        calls.append(1)
        Event.objects.create(type="Tried", subject_type="test", subject=str(len(calls)))
        if len(calls) < 3:
            raise lock_error(sqlstate)
        return "done"

    assert work() == "done"
    assert len(calls) == 3
    assert list(Event.objects.filter(type="Tried").values_list("subject", flat=True)) == ["3"]


@pytest.mark.django_db
def test_every_attempt_lost_is_busy_and_leaves_nothing():
    @retry_on_lock_conflict
    def work():
        Event.objects.create(type="Tried", subject_type="test", subject="x")
        raise lock_error("40P01")

    with pytest.raises(Busy) as caught:
        work()
    assert caught.value.code == "request.busy" and caught.value.status == 503
    assert not Event.objects.filter(type="Tried").exists()


@pytest.mark.django_db
def test_other_errors_are_not_retried():
    calls = []

    @retry_on_lock_conflict
    def domain():
        calls.append(1)
        raise Conflict("x.y", "no")

    @retry_on_lock_conflict
    def other_database_error():
        calls.append(1)
        raise lock_error("53300")  # too many connections: not a lock race

    with pytest.raises(Conflict):
        domain()
    with pytest.raises(OperationalError):
        other_database_error()
    assert len(calls) == 2


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_an_order_behind_a_held_lock_is_placed_after_a_retry(caplog, monkeypatch):
    """A long transaction holds the stock; the order's lock wait times out
    (a short lock_timeout here), is retried, and succeeds once it is free."""
    from fillrate.inventory.locks import lock_stock_levels
    from fillrate.inventory.models import StockLevel
    from fillrate.orders.services import LineInput
    from fillrate.workflows.place_order import place_order
    from tests.factories import CustomerFactory, LocationFactory, ProductFactory

    monkeypatch.setattr(retry, "BACKOFF_SECONDS", 0.05)
    product = ProductFactory(sku="HELD")
    level = StockLevel.objects.create(product=product, location=LocationFactory(kind="pick"),
                                      on_hand=5)
    CustomerFactory(code="C-WAIT")
    locked, release = threading.Event(), threading.Event()

    def holder():
        try:
            with transaction.atomic():
                lock_stock_levels(product_ids=[product.id])
                locked.set()
                release.wait(5)
                time.sleep(0.3)
        finally:
            connection.close()

    thread = threading.Thread(target=holder, daemon=True)
    thread.start()
    assert locked.wait(5)
    with connection.cursor() as cursor:
        cursor.execute("SET lock_timeout = '150ms'")
    try:
        release.set()
        with caplog.at_level(logging.WARNING, logger="fillrate.core.retry"):
            placed = place_order(customer="C-WAIT", lines=[LineInput("HELD", 2)])
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET lock_timeout")
        thread.join(5)
    assert [x.allocated for x in placed.lines] == [2]
    assert any("55P03" in r.getMessage() for r in caplog.records)
    level.refresh_from_db()
    assert level.allocated == 2

"""`Idempotency-Key` on API POSTs: one effect per key and user."""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from django.test import Client

from fillrate.accounts.permissions import Role
from fillrate.api.models import IdempotencyRecord
from fillrate.core.models import Event
from fillrate.inventory.models import StockMovement
from fillrate.inventory.selectors import product_with_stock
from tests.helpers import assert_error, db_state

ADJUST = "/api/v1/stock/adjustments"


def key(value: str) -> dict[str, str]:
    return {"Idempotency-Key": value}


def test_same_key_same_body_replays_with_one_effect(api, stock):
    product = stock(quantity=5)
    body = {"sku": product.sku, "quantity": 3, "reason": "found"}
    movements, events = StockMovement.objects.count(), Event.objects.count()

    first = api.post(ADJUST, body, headers=key("k-1"))
    assert first.status_code == 201
    assert "Idempotent-Replayed" not in first
    for _ in range(3):
        again = api.post(ADJUST, body, headers=key("k-1"))
        assert again.status_code == 201
        assert again["Idempotent-Replayed"] == "true"
        assert again.content == first.content
        assert again["Content-Type"] == first["Content-Type"]

    assert StockMovement.objects.count() == movements + 1
    assert Event.objects.filter(type="StockAdjusted").count() == 2  # the stock() one + this
    assert Event.objects.count() == events + 1
    assert product_with_stock(product.sku).on_hand == 8


def test_without_a_key_every_post_has_its_effect(api, stock):
    product = stock(quantity=5)
    body = {"sku": product.sku, "quantity": 1, "reason": "found"}
    for _ in range(3):
        assert api.post(ADJUST, body).status_code == 201
    assert product_with_stock(product.sku).on_hand == 8
    assert not IdempotencyRecord.objects.exists()


def test_same_key_different_body_is_422_and_changes_nothing(api, stock):
    product = stock(quantity=5)
    assert api.post(ADJUST, {"sku": product.sku, "quantity": 1, "reason": "found"},
                    headers=key("k-2")).status_code == 201
    before = db_state()
    response = api.post(ADJUST, {"sku": product.sku, "quantity": 2, "reason": "found"},
                        headers=key("k-2"))
    assert_error(response, 422, "request.idempotency_key_reused", field="Idempotency-Key")
    assert db_state() == before


def test_same_key_on_another_endpoint_is_422(api, stock):
    product = stock(quantity=5)
    assert api.post(ADJUST, {"sku": product.sku, "quantity": 1, "reason": "found"},
                    headers=key("k-3")).status_code == 201
    response = api.post("/api/v1/products", {"sku": "NEW", "name": "New", "list_price": "1"},
                        headers=key("k-3"))
    assert_error(response, 422, "request.idempotency_key_reused")
    assert response.status_code == 422


@pytest.mark.parametrize("bad", ["x" * 256, "   ", ""])
def test_a_bad_key_is_400_and_changes_nothing(api, stock, bad):
    product = stock(quantity=5)
    before = db_state()
    response = api.post(ADJUST, {"sku": product.sku, "quantity": 1, "reason": "found"},
                        headers=key(bad))
    assert_error(response, 400, "request.invalid_idempotency_key", field="Idempotency-Key")
    assert db_state() == before


def test_a_key_of_255_characters_is_fine(api, stock):
    product = stock(quantity=5)
    long_key = "k" * 255
    body = {"sku": product.sku, "quantity": 1, "reason": "found"}
    assert api.post(ADJUST, body, headers=key(long_key)).status_code == 201
    assert api.post(ADJUST, body, headers=key(long_key))["Idempotent-Replayed"] == "true"
    assert product_with_stock(product.sku).on_hand == 6


def test_keys_are_scoped_per_user(make_api, stock):
    product = stock(quantity=5)
    body = {"sku": product.sku, "quantity": 2, "reason": "found"}
    admin, supervisor = make_api(Role.ADMINISTRATOR), make_api(Role.SUPERVISOR)
    first = admin.post(ADJUST, body, headers=key("shared"))
    second = supervisor.post(ADJUST, body, headers=key("shared"))
    assert (first.status_code, second.status_code) == (201, 201)
    assert "Idempotent-Replayed" not in second
    assert first.json()["movement"] != second.json()["movement"]
    assert product_with_stock(product.sku).on_hand == 9
    # and each user's replay is their own
    assert supervisor.post(ADJUST, body, headers=key("shared")).content == second.content


def test_a_failed_request_is_replayed_as_the_same_failure(api, stock):
    product = stock(quantity=2)
    body = {"sku": product.sku, "quantity": -5, "reason": "lost"}
    first = api.post(ADJUST, body, headers=key("k-409"))
    assert_error(first, 409, "inventory.insufficient_stock")
    # enough stock now: a fresh request would succeed, the retry must not
    stock(product, quantity=10)
    before = db_state()
    again = api.post(ADJUST, body, headers=key("k-409"))
    assert again.status_code == 409
    assert again["Idempotent-Replayed"] == "true"
    assert again.content == first.content
    assert db_state() == before


def test_a_validation_failure_is_replayed_too(api, stock):
    product = stock(quantity=2)
    body = {"sku": product.sku, "quantity": 0, "reason": "found"}
    first = api.post(ADJUST, body, headers=key("k-422"))
    assert_error(first, 422, "inventory.invalid_quantity")
    again = api.post(ADJUST, body, headers=key("k-422"))
    assert (again.status_code, again.content) == (422, first.content)
    assert again["Idempotent-Replayed"] == "true"


def test_a_server_error_is_not_kept_so_a_retry_runs_again(api, stock, monkeypatch):
    import fillrate.api.routers.stock as stock_router

    product = stock(quantity=2)
    body = {"sku": product.sku, "quantity": 1, "reason": "found"}
    real = stock_router.adjust_stock_and_feed

    def broken(**kwargs):
        real(**kwargs)  # the effect happens, then the request fails
        raise RuntimeError("boom")

    monkeypatch.setattr(stock_router, "adjust_stock_and_feed", broken)
    client = Client(raise_request_exception=False)
    headers = {"Authorization": f"Bearer {api.token}", **key("k-500")}
    import json

    failed = client.post(ADJUST, json.dumps(body), content_type="application/json",
                         headers=headers)
    assert failed.status_code == 500
    assert not IdempotencyRecord.objects.exists()
    assert product_with_stock(product.sku).on_hand == 2, "a 5xx must roll its effect back"

    monkeypatch.setattr(stock_router, "adjust_stock_and_feed", real)
    retried = api.post(ADJUST, body, headers=key("k-500"))
    assert retried.status_code == 201
    assert "Idempotent-Replayed" not in retried
    assert product_with_stock(product.sku).on_hand == 3


def test_unauthenticated_requests_keep_no_record(stock):
    product = stock(quantity=2)
    response = Client().post(ADJUST, {"sku": product.sku, "quantity": 1, "reason": "found"},
                             content_type="application/json", headers=key("anon"))
    assert_error(response, 401, "auth.unauthenticated")
    assert not IdempotencyRecord.objects.exists()


def test_get_requests_ignore_the_key(api, stock):
    stock(quantity=2)
    for _ in range(2):
        response = api.get("/api/v1/products", headers=key("get-key"))
        assert response.status_code == 200
        assert "Idempotent-Replayed" not in response
    assert not IdempotencyRecord.objects.exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("threads", [2, 8])
def test_concurrent_retries_have_one_effect(make_api, stock, threads):
    import json

    product = stock(quantity=5)
    admin = make_api(Role.ADMINISTRATOR)
    body = json.dumps({"sku": product.sku, "quantity": 4, "reason": "found"})
    headers = {"Authorization": f"Bearer {admin.token}", **key("race")}
    movements = StockMovement.objects.filter(product=product).count()
    barrier = threading.Barrier(threads)
    responses: list = [None] * threads
    errors: list[BaseException] = []

    def worker(i: int) -> None:
        try:
            client = Client()
            barrier.wait(timeout=10)
            responses[i] = client.post(ADJUST, body, content_type="application/json",
                                       headers=headers)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    pool = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join(timeout=30)
    assert not errors, errors
    assert StockMovement.objects.filter(product=product).count() == movements + 1
    assert product_with_stock(product.sku).on_hand == 9
    assert {r.status_code for r in responses} == {201}
    assert len({r.content for r in responses}) == 1
    assert sum("Idempotent-Replayed" not in r for r in responses) == 1


def test_the_same_body_with_its_keys_in_another_order_replays(api, stock):
    """The body is compared as JSON (its value), not as bytes: a client that
    rebuilds the same object in another key order, or spaced otherwise, is
    retrying the same request."""
    product = stock(quantity=5)
    first = api.post(ADJUST, raw=f'{{"sku": "{product.sku}", "quantity": 2, "reason": "found"}}',
                     headers=key("k-order"))
    assert first.status_code == 201, first.content
    before = db_state()
    for raw in (f'{{"reason":"found","quantity":2,"sku":"{product.sku}"}}',
                f'{{\n  "quantity": 2,\n  "sku": "{product.sku}",\n  "reason": "found"\n}}'):
        again = api.post(ADJUST, raw=raw, headers=key("k-order"))
        assert again.status_code == 201
        assert again["Idempotent-Replayed"] == "true"
        assert again.content == first.content
    assert db_state() == before
    assert product_with_stock(product.sku).on_hand == 7


def test_nested_objects_in_another_key_order_replay_and_other_values_do_not(api, stock):
    product = stock(quantity=5, sku="IDEM-NEST")
    from tests.factories import CustomerFactory

    CustomerFactory(code="C-IDEM")
    first = api.post("/api/v1/orders", raw='{"customer": "C-IDEM", "lines": '
                     '[{"sku": "IDEM-NEST", "quantity": 1}]}', headers=key("k-nest"))
    assert first.status_code == 201, first.content
    before = db_state()
    again = api.post("/api/v1/orders", raw='{"lines": [{"quantity": 1, "sku": "IDEM-NEST"}], '
                     '"customer": "C-IDEM"}', headers=key("k-nest"))
    assert again["Idempotent-Replayed"] == "true" and again.content == first.content
    other = api.post("/api/v1/orders", raw='{"lines": [{"quantity": 2, "sku": "IDEM-NEST"}], '
                     '"customer": "C-IDEM"}', headers=key("k-nest"))
    assert_error(other, 422, "request.idempotency_key_reused", field="Idempotency-Key")
    assert db_state() == before
    assert product_with_stock(product.sku).allocated == 1


def test_a_key_kept_with_the_hash_of_the_bytes_still_replays(api, stock):
    """Records written before bodies were canonicalised hold the hash of
    the raw bytes: a retry of that exact request still replays."""
    import hashlib

    product = stock(quantity=5)
    raw = f'{{"sku": "{product.sku}", "quantity": 1, "reason": "found"}}'
    first = api.post(ADJUST, raw=raw, headers=key("k-legacy"))
    assert first.status_code == 201
    legacy = hashlib.sha256(b"POST\0" + ADJUST.encode() + b"\0" + raw.encode()).hexdigest()
    IdempotencyRecord.objects.filter(key="k-legacy").update(request_hash=legacy)
    before = db_state()
    again = api.post(ADJUST, raw=raw, headers=key("k-legacy"))
    assert again["Idempotent-Replayed"] == "true" and again.content == first.content
    assert db_state() == before

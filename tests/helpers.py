"""Small assertions shared by the test modules."""

from __future__ import annotations

from django.apps import apps
from django.db.models import Sum

from fillrate.inventory.models import StockLevel


def fillrate_models() -> list:
    return [m for m in apps.get_models() if m.__module__.startswith("fillrate.")]


def db_state() -> dict[str, object]:
    """Row counts of every fillrate model plus the stock totals: two equal
    snapshots around a request mean it changed nothing."""
    state: dict[str, object] = {m._meta.label: m.objects.count() for m in fillrate_models()}
    totals = StockLevel.objects.aggregate(on_hand=Sum("on_hand"), allocated=Sum("allocated"))
    state["stock.on_hand"] = totals["on_hand"] or 0
    state["stock.allocated"] = totals["allocated"] or 0
    state["stock.levels"] = sorted(
        StockLevel.objects.values_list("product_id", "location_id", "on_hand", "allocated"))
    return state


def assert_error(response, status: int, code: str, field: str | None = ...) -> dict:
    """The one error shape: `{"error": {"code", "message", "field"}}`."""
    assert response.status_code == status, (response.status_code, response.content)
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    body = response.json()
    assert set(body) == {"error"}, body
    error = body["error"]
    assert set(error) == {"code", "message", "field"}, error
    assert error["code"] == code, error
    assert isinstance(error["message"], str) and error["message"], error
    if field is not ...:
        assert error["field"] == field, error
    return error

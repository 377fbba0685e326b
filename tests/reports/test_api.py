"""The four report endpoints: JSON, CSV columns, roles and bad parameters."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import pytest

from fillrate.accounts.permissions import Role
from tests.helpers import db_state

pytestmark = pytest.mark.django_db

PATHS = ("backorder-aging", "backorders-by-product", "timeline", "fill-rate",
         "max-age-review", "reorder-suggestions")


def rows_of(response) -> list[dict]:
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(response.content.decode())))


@pytest.fixture
def now(at_now):
    return at_now


def test_aging_json_and_csv(scenario, api, now):
    body = api.get("/api/v1/reports/backorder-aging").json()
    assert [(b["bucket"], b["backorders"], b["units"], b["value"]) for b in body["buckets"]] == [
        ("0_7", 1, 2, "20.00"), ("8_14", 1, 5, "7.50"), ("15_30", 0, 0, "0.00"),
        ("31_plus", 1, 2, "11.50")]
    assert body["total"] == {"backorders": 3, "units": 9, "value": "39.00"}
    response = api.get("/api/v1/reports/backorder-aging", {"format": "csv", "by": "product"})
    assert response.content.decode().splitlines()[0] == (
        "by,code,name,bucket,backorders,units,value")
    rows = rows_of(response)
    assert rows[4] == {"by": "", "code": "", "name": "All open backorders", "bucket": "total",
                       "backorders": "3", "units": "9", "value": "39.00"}
    gadget = [r for r in rows if r["code"] == "GADGET"]
    assert [(r["bucket"], r["units"]) for r in gadget] == [
        ("0_7", "2"), ("8_14", "0"), ("15_30", "0"), ("31_plus", "1"), ("total", "3")]


@pytest.mark.parametrize("by", [None, "customer", "product", "sales_rep"])
def test_the_aging_answer_is_what_its_schema_renders(scenario, api, now, by):
    from fillrate.api.routers.reports import AgingOut
    from fillrate.reports import exports
    from fillrate.reports.backlog import backorder_aging

    body = api.get("/api/v1/reports/backorder-aging", {"by": by} if by else {}).json()
    assert body["groups"] or by is None
    schema = AgingOut.model_validate(exports.aging_data(backorder_aging(by=by, now=now)))
    expected = json.loads(schema.model_dump_json())
    assert dt.datetime.fromisoformat(body.pop("as_of")) <= dt.datetime.fromisoformat(
        expected.pop("as_of")) + dt.timedelta(seconds=1)
    assert body == expected


@pytest.mark.parametrize("by", [None, "customer", "product", "sales_rep"])
def test_the_fill_rate_answer_is_what_its_schema_renders(scenario, api, now, by):
    from fillrate.api.routers.reports import FillRateOut
    from fillrate.reports import exports
    from fillrate.reports.fill_rate import fill_rate, period_for

    body = api.get("/api/v1/reports/fill-rate", {"by": by} if by else {}).json()
    assert body["groups"] or by is None
    assert body["total"]["orders"] > 0
    report = fill_rate(period=period_for(), by=by)
    expected = json.loads(FillRateOut.model_validate(exports.fill_rate_data(report))
                          .model_dump_json(by_alias=True))
    assert body == expected


def test_by_product_json_csv_and_pages(scenario, api, now):
    body = api.get("/api/v1/reports/backorders-by-product").json()
    assert body["count"] == 2
    gadget = body["items"][0]
    assert gadget == {
        "sku": "GADGET", "name": gadget["name"], "open_units": 3, "waiting_units": 3,
        "backorders": 2, "customers": 1, "value": "30.00", "on_hand": 1, "available": 0,
        "incoming": 5, "earliest_receipt": "2026-12-16", "shortfall": 0,
        "oldest_age_days": 31}
    page = api.get("/api/v1/reports/backorders-by-product",
                   {"limit": 1, "offset": 1}).json()
    assert [r["sku"] for r in page["items"]] == ["BOLT"] and page["count"] == 2
    response = api.get("/api/v1/reports/backorders-by-product", {"format": "csv"})
    assert response.content.decode().splitlines()[0] == (
        "sku,name,open_units,waiting_units,backorders,customers,value,on_hand,available,"
        "incoming,earliest_receipt,shortfall,oldest_age_days")
    bolt = rows_of(response)[1]
    assert (bolt["sku"], bolt["shortfall"], bolt["earliest_receipt"]) == ("BOLT", "6", "")


def test_timeline_json_and_csv(scenario, api, now):
    body = api.get("/api/v1/reports/timeline", {"weeks": 2}).json()
    assert body["today"] == "2026-12-09"
    assert {b["bucket"]: b["backorders"] for b in body["buckets"]} == {
        "overdue": 1, "this_week": 1, "next_week": 0, "this_month": 0, "later": 0, "none": 1}
    assert [(w["week_start"], w["incoming_units"]) for w in body["weeks"]] == [
        ("2026-12-07", 0), ("2026-12-14", 5)]
    response = api.get("/api/v1/reports/timeline", {"format": "csv", "weeks": 2})
    assert response.content.decode().splitlines()[0] == (
        "section,key,backorders,open_units,waiting_units,value,incoming_units")
    rows = rows_of(response)
    assert [(r["section"], r["key"]) for r in rows][-2:] == [
        ("week", "2026-12-07"), ("week", "2026-12-14")]


def test_fill_rate_json_and_csv(scenario, api, now):
    body = api.get("/api/v1/reports/fill-rate").json()
    assert (body["from"], body["to"], body["pending_orders"]) == (
        "2026-11-10", "2026-12-09", 1)
    total = body["total"]
    assert (total["unit_fill_rate"], total["line_fill_rate"], total["order_fill_rate"],
            total["backorder_rate"]) == ("0.4400", "0.4286", "0.2000", "0.8000")
    assert total["days_to_fill"] == {"backorder_lines": 2, "average": "8.5", "p90": 12}
    assert total["cancellations"] == [
        {"reason": "excessive_delay", "backorders": 1, "units": 2}]
    by_rep = api.get("/api/v1/reports/fill-rate", {"by": "sales_rep"}).json()
    assert {g["code"]: g["orders"] for g in by_rep["groups"]} == {"REP-1": 4, "": 1}
    response = api.get("/api/v1/reports/fill-rate", {"format": "csv", "by": "customer",
                                                     "from": "2026-11-10", "to": "2026-12-09"})
    rows = rows_of(response)
    assert list(rows[0])[:4] == ["by", "code", "name", "orders"]
    assert "cancelled_excessive_delay" in rows[0]
    assert [(r["code"], r["orders"], r["unit_fill_rate"]) for r in rows] == [
        ("", "5", "0.4400"), ("C-ACME", "4", "0.4783"), ("C-VIP", "1", "0.0000")]
    assert rows[2]["cancelled_excessive_delay"] == "1"


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("path", PATHS)
def test_every_role_with_backorders_view_reads_the_reports(make_api, role, path):
    assert make_api(role).get(f"/api/v1/reports/{path}").status_code == 200


def test_sales_see_their_own_customers_through_the_rep_filter(scenario, make_api, now):
    sales = make_api(Role.SALES)
    body = sales.get("/api/v1/reports/backorder-aging", {"sales_rep": "REP-1"}).json()
    assert body["total"] == {"backorders": 1, "units": 5, "value": "7.50"}
    body = sales.get("/api/v1/reports/fill-rate", {"customer": "C-VIP"}).json()
    assert body["total"]["orders"] == 1


@pytest.mark.parametrize("path", PATHS)
def test_no_token_is_401(client, path):
    assert client.get(f"/api/v1/reports/{path}").status_code == 401


@pytest.mark.parametrize(("path", "params", "status", "code", "field"), [
    ("backorder-aging", {"by": "warehouse"}, 422, "reports.invalid_breakdown", "by"),
    ("backorder-aging", {"format": "xml"}, 422, "reports.invalid_format", "format"),
    ("backorders-by-product", {"ordering": "colour"}, 422, "reports.invalid_ordering",
     "ordering"),
    ("timeline", {"customer": "NOPE"}, 404, "customers.unknown_customer", "customer"),
    ("timeline", {"weeks": 0}, 422, None, "weeks"),
    ("fill-rate", {"from": "2026-12-10", "to": "2026-12-01"}, 422, "reports.invalid_period",
     "to"),
    ("fill-rate", {"from": "yesterday"}, 422, None, "from"),
    ("fill-rate", {"sales_rep": "NOPE"}, 404, "customers.unknown_sales_rep", "sales_rep"),
])
def test_bad_parameters_are_refused_and_change_nothing(scenario, api, path, params, status,
                                                       code, field):
    before = db_state()
    response = api.get(f"/api/v1/reports/{path}", params)
    assert response.status_code == status, response.content
    error = response.json()["error"]
    if code:
        assert error["code"] == code
    assert error["field"] == field
    assert db_state() == before


def test_the_backorder_list_filters_by_age_bucket(scenario, api, now):
    """Each aging figure links to the list it counts: `?age=` matches the buckets."""
    numbers = {k: sorted(b["number"] for b in api.get(
        "/api/v1/backorders", {"age": k}).json()["items"])
        for k in ("0_7", "8_14", "15_30", "31_plus")}
    assert numbers == {"0_7": [scenario.b2.number], "8_14": [scenario.b5.number],
                       "15_30": [], "31_plus": [scenario.b6.number]}
    before = db_state()
    response = api.get("/api/v1/backorders", {"age": "old"})
    assert response.status_code == 422
    assert response.json()["error"]["field"] == "age"
    assert db_state() == before


def test_max_age_review_json_and_csv(scenario, api, now):
    body = api.get("/api/v1/reports/max-age-review").json()
    assert (body["max_age_days"], body["count"]) == (30, 1)
    (row,) = body["items"]
    assert (row["number"], row["customer"], row["age_days"], row["open_quantity"],
            row["value"], row["incoming"], row["next_receipt"], row["last_contact_at"]) == (
        scenario.b6.number, "C-VIP", 31, 2, "11.50", 5, "2026-12-16", None)
    rows = rows_of(api.get("/api/v1/reports/max-age-review", {"format": "csv"}))
    assert list(rows[0])[:4] == ["number", "customer", "created_at", "age_days"]
    assert rows[0]["number"] == scenario.b6.number


def test_reorder_suggestions_json_and_csv(scenario, api, now):
    from fillrate.purchasing.reorder import set_reorder_point

    set_reorder_point(sku="WIDGET", reorder_point=30, supplier="SUP-1")
    body = api.get("/api/v1/reports/reorder-suggestions").json()
    assert [(r["supplier"], r["sku"], r["suggested"]) for r in body] == [
        ("SUP-1", "WIDGET", 19), (None, "BOLT", 6)]
    response = api.get("/api/v1/reports/reorder-suggestions", {"format": "csv"})
    assert response.content.decode().splitlines()[:2] == [
        "supplier,sku,name,waiting,reorder_point,available,incoming,suggested",
        f"SUP-1,WIDGET,{body[0]['name']},0,30,11,0,19"]

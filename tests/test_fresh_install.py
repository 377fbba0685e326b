"""Running fillrate for real: a new user's first day on a fresh install with
no demo data. Everything goes through the API: the default warehouse MAIN
takes stock at once; a location, a sales rep, a customer with that rep and
products are set up; stock is adjusted in without naming a location; an
order opens a backorder; a purchase order is received without naming a
location and feeds it; everything is fulfilled and dispatched; the
invariants hold.

It runs twice: in-process against the test database (after the migration's
own function has made the default warehouse), and on PostgreSQL against a
brand-new database set up with `fillrate migrate` and served by `fillrate
serve`, as a new user would do it; there the catalogue, customers and
opening stock are then loaded from CSV files with `fillrate import` (and one
file over `POST /imports/{kind}`), and an order for imported products is
served from the imported stock."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Callable
from urllib.parse import urlparse, urlunparse

import pytest

Call = Callable[[str, str, object], tuple[int, dict]]


def first_day(call: Call) -> dict:
    """The scenario; `call(method, path, body)` answers (status, JSON)."""

    def ok(method: str, path: str, body: object = None, status: int = 200) -> dict:
        got, answer = call(method, path, body)
        assert got == status, (method, path, got, answer)
        return answer

    places = ok("GET", "/locations")["items"]
    assert [(x["warehouse"], x["code"], x["kind"]) for x in places] == [
        ("MAIN", "PICK", "pick"), ("MAIN", "RECV", "receiving"), ("MAIN", "ISSUES", "issues")]
    ok("POST", "/locations", {"warehouse": "MAIN", "code": "A-01", "kind": "pick",
                              "pick_sequence": 20, "zone": "A"}, 201)
    ok("POST", "/sales-reps", {"code": "REP-ANNA", "name": "Anna Kowalski",
                               "email": "anna@example.com"}, 201)
    customer = ok("POST", "/customers", {"code": "C-BISTRO", "name": "Brighton Bistro",
                                         "sales_rep": "REP-ANNA"}, 201)
    assert customer["sales_rep"] == "REP-ANNA"
    for sku, price in (("WIDGET", "4.00"), ("GADGET", "10.00")):
        ok("POST", "/products", {"sku": sku, "name": sku.title(), "list_price": price}, 201)

    # No location named: stock goes to the default pick location.
    adjusted = ok("POST", "/stock/adjustments", {"sku": "WIDGET", "quantity": 10,
                                                 "reason": "count"}, 201)
    assert (adjusted["location"], adjusted["on_hand"]) == ("PICK", 10)
    adjusted = ok("POST", "/stock/adjustments", {"sku": "GADGET", "location": "A-01",
                                                 "quantity": 2, "reason": "count"}, 201)
    assert adjusted["location"] == "A-01"

    order = ok("POST", "/orders", {"customer": "C-BISTRO", "lines": [
        {"sku": "WIDGET", "quantity": 4}, {"sku": "GADGET", "quantity": 5}]}, 201)
    lines = {x["sku"]: x for x in order["lines"]}
    assert (lines["WIDGET"]["allocated"], lines["GADGET"]["allocated"],
            lines["GADGET"]["backordered"]) == (4, 2, 3)
    (backorder,) = order["backorders"]
    waiting = ok("GET", "/backorders?sales_rep=REP-ANNA")["items"]
    assert [x["number"] for x in waiting] == [backorder["number"]]

    ok("POST", "/suppliers", {"code": "SUP-ACME", "name": "Acme Supplies",
                              "lead_time_days": 5}, 201)
    po = ok("POST", "/purchase-orders", {"supplier": "SUP-ACME",
                                         "lines": [{"sku": "GADGET", "quantity": 3}]}, 201)
    # No location named: the receipt goes to the default receiving location.
    receipt = ok("POST", f"/purchase-orders/{po['number']}/receipts",
                 {"lines": [{"sku": "GADGET", "quantity": 3}]}, 201)
    assert receipt["location"] == "RECV"
    assert receipt["allocations"] == [{"backorder": backorder["number"], "sku": "GADGET",
                                       "quantity": 3}]

    shipped = ok("POST", f"/orders/{order['number']}/fulfil", None, 201)
    ok("POST", f"/fulfillments/{shipped['number']}/dispatch",
       {"carrier": "DPD", "tracking_number": "1550"})
    rest = ok("POST", f"/backorders/{backorder['number']}/fulfil", {}, 201)
    assert ok("POST", f"/fulfillments/{rest['number']}/dispatch", {})["status"] == "dispatched"

    final = ok("GET", f"/orders/{order['number']}")
    assert final["status"] == "fulfilled"
    assert {x["sku"]: x["shipped"] for x in final["lines"]} == {"WIDGET": 4, "GADGET": 5}
    assert ok("GET", f"/backorders/{backorder['number']}")["status"] == "complete"
    figures = {x["sku"]: x for x in ok("GET", "/products")["items"]}
    assert (figures["WIDGET"]["on_hand"], figures["GADGET"]["on_hand"]) == (6, 0)
    return final


def imported_day(call: Call, env: dict, folder) -> None:
    """Load a catalogue, customers and a stock count from CSV with the CLI
    (one file over the API), then sell from what was imported."""
    files = {
        "products": "sku,name,list_price\r\nKETTLE-1,Kettle,25.00\r\nMUG-1,Mug,4.50\r\n",
        "customers": "code,name,email,sales_rep\r\nC-CAFE,Corner Cafe,cafe@example.com,"
                     "REP-ANNA\r\n",
        "stock": "sku,warehouse,location,quantity\r\nKETTLE-1,MAIN,A-01,6\r\n"
                 "MUG-1,MAIN,PICK,40\r\n",
    }
    for kind, text in files.items():
        path = folder / f"{kind}.csv"
        path.write_text(text)
        done = _fillrate(env, "import", kind, str(path))
        assert done.returncode == 0, (kind, done.stdout, done.stderr)
    bad = folder / "bad.csv"
    bad.write_text("sku,name,list_price\r\nTEA-1,Tea,lots\r\n")
    done = _fillrate(env, "import", "products", str(bad))
    assert done.returncode == 2 and "list_price" in done.stdout + done.stderr

    code, answer = call("GET", "/products/kettle-1", None)
    assert code == 200 and (answer["on_hand"], answer["available"]) == (6, 6)
    code, answer = call("POST", "/orders", {"customer": "C-CAFE", "lines": [
        {"sku": "KETTLE-1", "quantity": 8}, {"sku": "MUG-1", "quantity": 12}]})
    assert code == 201, answer
    assert [(x["allocated"], x["backordered"]) for x in answer["lines"]] == [(6, 2), (12, 0)]
    assert answer["total"] == "254.00"


def test_a_new_user_s_first_day_in_process(api, default_warehouse):
    from fillrate.workflows.invariants import all_problems

    def call(method: str, path: str, body: object) -> tuple[int, dict]:
        url = f"/api/v1{path}"
        if method == "GET":
            response = api.get(url)
        elif body is None:
            response = api.client.post(url, headers=api._headers(None))
        else:
            response = api.post(url, body)
        return response.status_code, response.json()

    first_day(call)
    assert all_problems() == []


# -- a brand-new PostgreSQL database, the real commands and the real server ------

def _fillrate(env: dict, *argv: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "fillrate.cli", *argv], env=env,
                          capture_output=True, text=True, timeout=300)


def _wait_for(port: int, server: subprocess.Popen, timeout: float = 60) -> None:
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"fillrate serve exited: {server.stderr.read().decode()}")
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/openapi.json", timeout=1)
            return
        except OSError:
            time.sleep(0.2)
    pytest.fail(f"fillrate serve did not answer in {timeout}s")


@pytest.mark.postgres
def test_a_new_user_s_first_day_on_a_new_postgres_database(tmp_path, db):
    from django.conf import settings
    from django.db import connection

    from fillrate.bench.common import free_port, scratch_database_url

    settings_db = settings.DATABASES["default"]
    base = urlunparse(("postgres", f"{settings_db['USER']}@{settings_db['HOST']}:"
                       f"{settings_db['PORT']}", f"/{connection.settings_dict['NAME']}",
                       "", "", ""))
    name = f"{connection.settings_dict['NAME']}_fresh"[:63]
    url = scratch_database_url(base, name)
    env = dict(os.environ, DATABASE_URL=url, FILLRATE_VAR_DIR=str(tmp_path),
               FILLRATE_SECRET_KEY="fresh-install-test", FILLRATE_DEBUG="0")
    server = None
    try:
        done = _fillrate(env, "migrate")
        assert (done.returncode, done.stdout) == (0, "database is up to date\n"), done.stderr
        done = _fillrate(env, "user", "add", "owner", "--role", "administrator",
                         "--password", "a-long-password-9")
        assert done.returncode == 0, done.stderr
        token = _fillrate(env, "token", "owner").stdout.strip()
        assert token.startswith("fr_")

        port = free_port()
        server = subprocess.Popen(
            [sys.executable, "-m", "fillrate.cli", "serve", "--port", str(port),
             "--workers", "1"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        _wait_for(port, server)

        def call(method: str, path: str, body: object) -> tuple[int, dict]:
            data = None if method == "GET" else json.dumps(body or {}).encode()
            request = urllib.request.Request(
                f"http://127.0.0.1:{port}/api/v1{path}", data=data, method=method,
                headers={"Authorization": f"Bearer {token}",
                         "Content-Type": "application/json"})
            try:
                with urllib.request.urlopen(request, timeout=30) as response:
                    return response.status, json.loads(response.read())
            except urllib.error.HTTPError as error:
                return error.code, json.loads(error.read() or b"{}")

        first_day(call)
        imported_day(call, env, tmp_path)
        check = _fillrate(env, "check")
        assert check.returncode == 0, check.stdout + check.stderr
        assert check.stdout.startswith("ok:")
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=20)
        import psycopg

        admin = urlunparse(urlparse(url)._replace(path="/postgres"))
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

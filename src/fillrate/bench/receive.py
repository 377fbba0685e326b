"""`fillrate bench receive`: receipts that feed tens of thousands of waiting
backorder lines at once.

Seeds (set-based SQL) 50,000 open backorder lines over 50 SKUs: 25,000
orders of two backordered lines each, created a second apart, one customer in
ten a VIP, one backorder in twenty high priority. Two purchase orders are
placed for every SKU (the first due in a week, the second in three), which
promises every waiting line. Then:

1. inside the service: one receipt against the first purchase order, a line
   per SKU with about half of that SKU's waiting units, hands stock to the
   first half of the waiting lines in policy order (~25,000 lines);
2. over HTTP (the real server): one receipt against the second purchase order
   that satisfies the rest;
3. invariants 1-3 are checked.

Figures: time per receipt and in total, statements per receipt, lines
allocated, backorders made ready, response size.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import time
import urllib.request

from fillrate.bench.common import BenchError, Server, print_table, write_json

SKUS = 50
ORDERS = 25_000  # two backordered lines each: 50,000 lines
CUSTOMERS = 500


def seed(*, orders: int = ORDERS, skus: int = SKUS) -> str:
    """Products, customers, locations, 2 x `orders` backordered lines; returns
    an API token of a warehouse user (who may receive)."""
    from django.db import connection, transaction

    from fillrate.accounts.services import add_user, issue_token
    from fillrate.backorders.models import Backorder, BackorderLine
    from fillrate.catalog.models import Product
    from fillrate.core.sql import table
    from fillrate.customers.models import Customer
    from fillrate.inventory.models import Location, Warehouse
    from fillrate.orders.models import OrderLine, SalesOrder

    warehouse = Warehouse.objects.create(code="BENCH", name="Bench warehouse")
    Location.objects.create(warehouse=warehouse, code="P-01", kind="pick", pick_sequence=10)
    Location.objects.create(warehouse=warehouse, code="RECV", kind="receiving",
                            pick_sequence=1000)
    Product.objects.bulk_create([Product(sku=f"R-{i:03d}", name=f"Receipt product {i}",
                                         list_price="12.50") for i in range(skus)])
    Customer.objects.bulk_create([Customer(code=f"RC-{i:03d}", name=f"Bench customer {i}",
                                           vip=i % 10 == 0) for i in range(CUSTOMERS)])
    so, ol, bo, bl = table(SalesOrder), table(OrderLine), table(Backorder), table(BackorderLine)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {so} (reference, status, ship_complete, amount_paid, created_at,"
            f" customer_id) SELECT 'bench-' || g, 'awaiting_backorder', false, 0,"
            f" now() - (%s - g) * interval '1 second',"
            f" (SELECT id FROM {table(Customer)} ORDER BY id OFFSET g %% %s LIMIT 1)"
            f" FROM generate_series(1, %s) g", [orders, CUSTOMERS, orders])
        # Two lines per order, of different products; 1 to 3 units each.
        cursor.execute(
            f"WITH p AS (SELECT id, row_number() OVER (ORDER BY id) - 1 AS i, list_price"
            f" FROM {table(Product)} WHERE sku LIKE 'R-%%'),"
            f" o AS (SELECT id, substr(reference, 7)::int AS g FROM {so}"
            f" WHERE reference LIKE 'bench-%%')"
            f" INSERT INTO {ol} (order_id, line_no, product_id, quantity, unit_price,"
            f" allocated, shipped, backordered, cancelled)"
            f" SELECT o.id, n, p.id, 1 + (o.g * n * 7) %% 3, p.list_price, 0, 0,"
            f" 1 + (o.g * n * 7) %% 3, 0"
            f" FROM o CROSS JOIN (VALUES (1), (2)) AS v(n) JOIN p ON p.i = CASE n"
            f" WHEN 1 THEN o.g %% %s ELSE (o.g %% %s + 1 + (o.g / %s) %% (%s - 1)) %% %s END",
            [skus, skus, skus, skus, skus])
        cursor.execute(
            f"INSERT INTO {bo} (status, priority, reason, notes, created_at, cancel_reason,"
            f" cancel_notes, customer_id, order_id, expected_date_manual, split_by_hand)"
            f" SELECT 'open', CASE WHEN substr(reference, 7)::int %% %s = 0 THEN 'high'"
            f" ELSE 'normal' END, 'bench', '', created_at, '', '', customer_id, id, false, false"
            f" FROM {so} WHERE reference LIKE 'bench-%%' ORDER BY id", [20])
        cursor.execute(
            f"INSERT INTO {bl} (backorder_id, order_line_id, product_id, quantity, allocated,"
            f" fulfilled, cancelled, unit_price)"
            f" SELECT b.id, l.id, l.product_id, l.quantity, 0, 0, 0, l.unit_price"
            f" FROM {bo} b JOIN {ol} l ON l.order_id = b.order_id ORDER BY l.id")
        for t in (so, ol, bo, bl):
            cursor.execute(f"ANALYZE {t}")
    add_user(username="bench-receiver", role="warehouse")
    return issue_token(username="bench-receiver").token


def waiting_units() -> dict[str, int]:
    from django.db.models import Sum

    from fillrate.backorders.models import BackorderLine
    from fillrate.backorders.models import waiting_units as waiting

    rows = (BackorderLine.objects.values("product__sku")
            .annotate(w=Sum(waiting())))
    return {r["product__sku"]: int(r["w"]) for r in rows}


def place_purchase_orders(first_half: dict[str, int], rest: dict[str, int]) -> tuple[str, str]:
    from fillrate.purchasing.models import Supplier
    from fillrate.purchasing.services import PurchaseLineInput
    from fillrate.workflows.purchase_orders import create_purchase_order

    Supplier.objects.create(code="BENCH-SUP", name="Bench supplier", lead_time_days=7)
    today = dt.date.today()
    numbers = []
    for quantities, days in ((first_half, 7), (rest, 21)):
        po = create_purchase_order(
            supplier="BENCH-SUP", expected_date=today + dt.timedelta(days=days),
            status="ordered",
            lines=[PurchaseLineInput(sku=sku, quantity=q) for sku, q in sorted(quantities.items())])
        numbers.append(po.number)
    return numbers[0], numbers[1]


def settle() -> None:
    """VACUUM ANALYZE after the set-based seeding and the promises of the two
    purchase orders (as pgbench vacuums before a run): the timed receipts
    then meet the tables as autovacuum keeps them, rather than racing an
    autovacuum worker that the burst of writes has just woken."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")


def receive_in_service(number: str, quantities: dict[str, int]) -> dict:
    from django.db import connection, transaction

    from fillrate.workflows.receive import ReceiptLineInput, receive_purchase_order

    lines = [ReceiptLineInput(sku=sku, quantity=q) for sku, q in sorted(quantities.items())]
    statements = []

    def count(execute, sql, params, many, context):
        # Counted, not captured: capturing formats every statement with its
        # parameters, which would be timed too.
        statements.append(1)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        started = time.perf_counter()
        with transaction.atomic():
            result = receive_purchase_order(number=number, lines=lines)
        elapsed = time.perf_counter() - started
    return {"seconds": round(elapsed, 3), "statements": len(statements) + 1,  # + COMMIT
            "lines_allocated": len(result.allocations),
            "units_allocated": sum(a.quantity for a in result.allocations),
            "backorders_fed": len({a.backorder for a in result.allocations})}


def receive_over_http(port: int, token: str, number: str, quantities: dict[str, int]) -> dict:
    body = json.dumps({"lines": [{"sku": s, "quantity": q}
                                 for s, q in sorted(quantities.items())]}).encode()
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/v1/purchase-orders/{number}/receipts", data=body,
        method="POST", headers={"Authorization": f"Bearer {token}",
                                "Content-Type": "application/json"})
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=120) as response:
        payload = response.read()
        status = response.status
    elapsed = time.perf_counter() - started
    if status != 201:
        raise BenchError(f"the receipt answered {status}")
    data = json.loads(payload)
    summary = data.get("allocation_summary", {})
    return {"seconds": round(elapsed, 3), "response_bytes": len(payload),
            "lines_allocated": summary.get("lines", len(data["allocations"])),
            "units_allocated": summary.get("units",
                                           sum(a["quantity"] for a in data["allocations"])),
            "backorders_fed": summary.get("backorders")}


def halves(waiting: dict[str, int]) -> tuple[dict[str, int], dict[str, int]]:
    first = {sku: w // 2 for sku, w in waiting.items()}
    return first, {sku: waiting[sku] - first[sku] for sku in waiting}


def run(*, workers: int, output: str, database_url: str) -> int:
    from fillrate.backorders.models import Backorder
    from fillrate.workflows.invariants import all_problems

    started = time.perf_counter()
    token = seed()
    seeded = time.perf_counter() - started
    first, rest = halves(waiting_units())
    started = time.perf_counter()
    po_first, po_rest = place_purchase_orders(first, rest)
    promised = time.perf_counter() - started

    settle()
    from fillrate.core.process import freeze_startup_objects

    freeze_startup_objects()  # as `fillrate serve` does before its workers fork
    in_service = receive_in_service(po_first, first)
    ready_after_first = Backorder.objects.filter(status="ready").count()
    server = Server(database_url=database_url, workers=workers)
    try:
        over_http = receive_over_http(server.port, token, po_rest, rest)
    finally:
        server.stop()
    problems = all_problems()
    still_waiting = sum(waiting_units().values())
    data = {
        "benchmark": "receive", "cpu_count": os.cpu_count(),
        "backorder_lines": 2 * ORDERS, "skus": SKUS,
        "seed_seconds": round(seeded, 1),
        "promise_seconds_two_purchase_orders": round(promised, 3),
        "receipt_in_service": in_service,
        "backorders_ready_after_first_receipt": ready_after_first,
        "receipt_over_http": over_http,
        "total_receipt_seconds": round(in_service["seconds"] + over_http["seconds"], 3),
        "units_still_waiting": still_waiting,
        "invariants": "ok" if not problems else problems[:20],
    }
    print_table(f"fillrate bench receive — {2 * ORDERS} waiting lines over {SKUS} SKUs, "
                f"{os.cpu_count()} cores", [
        ("seed", f"{seeded:.1f} s"),
        ("two purchase orders promise every line", f"{promised:.3f} s"),
        ("receipt 1 in service", "{seconds} s, {statements} statements, {lines_allocated} lines"
         " / {units_allocated} units allocated, {backorders_fed} backorders fed"
         .format(**in_service)),
        ("backorders ready after receipt 1", ready_after_first),
        ("receipt 2 over HTTP", "{seconds} s, {response_bytes} bytes, {lines_allocated} lines"
         " / {units_allocated} units allocated".format(**over_http)),
        ("total for the two receipts", f"{data['total_receipt_seconds']} s"),
        ("units still waiting", still_waiting),
        ("invariants", "ok" if not problems else f"{len(problems)} problem(s)"),
    ])
    write_json(output, data)
    return 0 if not problems and still_waiting == 0 else 1

"""`fillrate bench intake`: order placement over HTTP against the real server.

K clients POST 5-line orders for T seconds; about one order in five has a
line for a product with no stock, which opens a backorder. Afterwards the
invariants are checked and the figures printed and written as JSON.
"""

from __future__ import annotations

import json
import os
import random
import socket
import threading
import time
from dataclasses import dataclass, field

from fillrate.bench.common import Server, percentile, print_table, write_json

STOCKED_SKUS = 200
SHORT_SKUS = 20
CUSTOMERS = 100


def seed() -> str:
    """Products, customers, a location and an API token; returns the token."""
    from django.db import transaction

    from fillrate.accounts.services import add_user, issue_token
    from fillrate.catalog.models import Product
    from fillrate.customers.models import Customer
    from fillrate.inventory.locks import ensure_stock_levels, lock_stock_levels
    from fillrate.inventory.models import Location, MovementKind, Warehouse
    from fillrate.inventory.services import StockIn, add_stock

    warehouse = Warehouse.objects.create(code="BENCH", name="Bench warehouse")
    pick = Location.objects.create(warehouse=warehouse, code="P-01", kind="pick",
                                   pick_sequence=10)
    products = Product.objects.bulk_create(
        [Product(sku=f"B-{i:04d}", name=f"Bench product {i}", list_price="9.99")
         for i in range(STOCKED_SKUS)]
        + [Product(sku=f"S-{i:03d}", name=f"Scarce product {i}", list_price="19.99")
           for i in range(SHORT_SKUS)])
    stocked = [p for p in products if p.sku.startswith("B-")]
    big = 1_000_000_000
    with transaction.atomic():
        ensure_stock_levels((p.id, pick.id) for p in stocked)
        add_stock(rows=[StockIn(level, big) for level in lock_stock_levels(
                      product_ids=[p.id for p in stocked])],
                  kind=MovementKind.COUNTED, reason="count", note="bench seed")
    Customer.objects.bulk_create([Customer(code=f"BC-{i:03d}", name=f"Bench customer {i}")
                                  for i in range(CUSTOMERS)])
    add_user(username="bench", role="sales")
    return issue_token(username="bench").token


def order_body(rng: random.Random) -> bytes:
    skus = rng.sample(range(STOCKED_SKUS), 5)
    lines = [{"sku": f"B-{i:04d}", "quantity": rng.randint(1, 5)} for i in skus]
    if rng.random() < 0.2:
        lines[-1] = {"sku": f"S-{rng.randrange(SHORT_SKUS):03d}", "quantity": 1}
    return json.dumps({"customer": f"BC-{rng.randrange(CUSTOMERS):03d}",
                       "lines": lines}).encode()


@dataclass
class ClientResult:
    latencies: list[float] = field(default_factory=list)
    errors: dict[int, int] = field(default_factory=dict)


def request_bytes(port: int, token: str, body: bytes) -> bytes:
    return (f"POST /api/v1/orders HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode() + body


def exchange(port: int, request: bytes) -> int:
    """Send one request on a new connection and return the status (0 when the
    connection failed). gunicorn's sync workers close every connection, so
    each request connects; the response is read to the end."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
            sock.sendall(request)
            chunks = []
            while chunk := sock.recv(65536):
                chunks.append(chunk)
    except OSError:
        return 0
    head = b"".join(chunks[:1])
    try:
        return int(head.split(b" ", 2)[1])
    except (IndexError, ValueError):
        return 0


def client(port: int, token: str, stop_at: float, seed_value: int, out: ClientResult) -> None:
    """One client: requests made up front, raw sockets, no HTTP library (the
    load generator shares the machine's two cores with the server)."""
    rng = random.Random(seed_value)
    requests = [request_bytes(port, token, order_body(rng)) for _ in range(1000)]
    n = 0
    while time.monotonic() < stop_at:
        request = requests[n % len(requests)]
        n += 1
        started = time.perf_counter()
        status = exchange(port, request)
        elapsed = time.perf_counter() - started
        if status == 201:
            out.latencies.append(elapsed)
        else:
            out.errors[status] = out.errors.get(status, 0) + 1


def queries_per_order() -> int:
    """Statements one placement makes inside the service (no HTTP)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from fillrate.orders.services import LineInput
    from fillrate.workflows.place_order import place_order

    lines = [LineInput(f"B-{i:04d}", 1) for i in range(5)]
    place_order(customer="BC-000", lines=lines)  # warm-up
    with CaptureQueriesContext(connection) as ctx:
        place_order(customer="BC-000", lines=lines)
    return len(ctx.captured_queries)


def run(*, clients: int, seconds: float, workers: int, output: str,
        database_url: str) -> int:
    from fillrate.backorders.models import Backorder
    from fillrate.orders.models import SalesOrder
    from fillrate.workflows.invariants import all_problems

    token = seed()
    per_order_queries = queries_per_order()
    server = Server(database_url=database_url, workers=workers)
    try:
        results = [ClientResult() for _ in range(clients)]
        # a short warm-up so every worker has loaded the app and connected
        warm = ClientResult()
        client(server.port, token, time.monotonic() + 2, 999, warm)
        orders_before = SalesOrder.objects.count()
        backorders_before = Backorder.objects.count()
        stop_at = time.monotonic() + seconds
        threads = [threading.Thread(target=client,
                                    args=(server.port, token, stop_at, i, results[i]))
                   for i in range(clients)]
        started = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - started
    finally:
        server.stop()

    latencies = sorted(x for r in results for x in r.latencies)
    errors: dict[int, int] = {}
    for r in results:
        for k, v in r.errors.items():
            errors[k] = errors.get(k, 0) + v
    placed = SalesOrder.objects.count() - orders_before
    backorders = Backorder.objects.count() - backorders_before
    problems = all_problems()
    data = {
        "benchmark": "intake",
        "clients": clients, "seconds": round(elapsed, 2), "server_workers": workers,
        "cpu_count": os.cpu_count(),
        "orders": len(latencies), "orders_in_database": placed,
        "orders_per_second": round(len(latencies) / elapsed, 1),
        "latency_ms": {p: round(percentile(latencies, q) * 1000, 1)
                       for p, q in (("p50", 50), ("p95", 95), ("p99", 99))},
        "backorders_created": backorders,
        "backorder_share": round(backorders / placed, 3) if placed else 0,
        "errors": errors,
        "statements_per_order_in_service": per_order_queries,
        "invariants": "ok" if not problems else problems[:20],
    }
    print_table(f"fillrate bench intake — {clients} clients, {workers} server workers, "
                f"{elapsed:.1f}s on {os.cpu_count()} cores", [
        ("orders/s", data["orders_per_second"]),
        ("orders placed", len(latencies)),
        ("latency p50/p95/p99 ms", "{p50} / {p95} / {p99}".format(**data["latency_ms"])),
        ("backorders created", f"{backorders} ({data['backorder_share']:.0%} of orders)"),
        ("errors", errors or "none"),
        ("statements per order", per_order_queries),
        ("invariants", "ok" if not problems else f"{len(problems)} problem(s)"),
    ])
    write_json(output, data)
    return 0 if not problems and not errors and placed == len(latencies) else 1

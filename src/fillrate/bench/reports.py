"""`fillrate bench reports`: every report at a million open backorder lines.

1. Order intake on the still-empty database (the intake bench's products,
   customers and load: 8 clients POST 5-line orders over HTTP) for a baseline.
2. Seeds, set-based (INSERT ... SELECT generate_series): 2,000 products,
   50 sales reps, 5,000 customers, 500,000 orders of two backordered lines
   placed over the last 120 days (1,000,000 open backorder lines on 500,000
   backorders, a fifth not dated, the rest expected from 20 days ago to 50
   days ahead), 100,000 shipped orders of the last 60 days (one in five
   filled through a backorder), stock for a quarter of the products and
   open purchase orders for half of them. Then the orders' fill-rate
   outcomes are recomputed (as the worker does each minute), VACUUM
   ANALYZE and CHECKPOINT.
3. Times each report in the process (the API endpoint through Django's
   test client, JSON rendered; the dashboard page as HTML),
   median and worst (three runs after a warm-up). Target: each <= 0.5 s.
4. Times the backorder list (`GET /backorders`, first page) with each filter,
   20 runs each (so p99 is the worst run): p99 < 100 ms is the target.
5. Order intake again, now beside the million lines: within 10% of step 1.
"""

from __future__ import annotations

import os
import statistics
import threading
import time

from fillrate.bench.common import Server, percentile, print_table, write_json

PRODUCTS = 2_000
REPS = 50
CUSTOMERS = 5_000
ORDERS = 500_000  # two open backorder lines each
SHIPPED = 100_000
REPORT_RUNS = 3
LIST_RUNS = 20

REPORTS = [
    ("aging", "/api/v1/reports/backorder-aging"),
    ("aging by customer", "/api/v1/reports/backorder-aging?by=customer"),
    ("aging by product", "/api/v1/reports/backorder-aging?by=product"),
    ("aging by sales rep", "/api/v1/reports/backorder-aging?by=sales_rep"),
    ("aging of one rep", "/api/v1/reports/backorder-aging?sales_rep=REP-07"),
    ("backorders by product", "/api/v1/reports/backorders-by-product"),
    ("backorders by product csv", "/api/v1/reports/backorders-by-product?format=csv"),
    ("timeline", "/api/v1/reports/timeline"),
    ("fill rate", "/api/v1/reports/fill-rate"),
    ("fill rate by customer", "/api/v1/reports/fill-rate?by=customer"),
    ("fill rate by product", "/api/v1/reports/fill-rate?by=product"),
    ("fill rate by sales rep", "/api/v1/reports/fill-rate?by=sales_rep"),
    ("fill rate, 120 days", "/api/v1/reports/fill-rate?from={d120}"),
]
LIST_FILTERS = ["", "status=active", "status=open", "customer=RPC-00042", "sku=RP-00042",
                "sales_rep=REP-07", "priority=high", "expected=overdue", "expected=this_week",
                "expected=next_week", "expected=later", "expected=none", "fulfillable=true",
                "fulfillable=false", "age=0_7", "age=31_plus", "ordering=-created",
                "ordering=expected_date", "ordering=priority"]


def seed() -> dict:
    """The rows above; returns what recomputing the orders' fill-rate
    outcomes took (orders, seconds)."""
    from django.db import connection, transaction

    from fillrate.backorders.models import Backorder, BackorderLine
    from fillrate.catalog.models import Product
    from fillrate.core.sql import table
    from fillrate.customers.models import Customer, SalesRep
    from fillrate.fulfilment.models import Fulfillment, FulfillmentLine
    from fillrate.inventory.locks import ensure_stock_levels, lock_stock_levels
    from fillrate.inventory.models import Location, MovementKind, Warehouse
    from fillrate.inventory.services import StockIn, add_stock
    from fillrate.orders.models import OrderLine, SalesOrder
    from fillrate.purchasing.models import PurchaseOrder, PurchaseOrderLine, Supplier
    from fillrate.reports import outcomes

    warehouse = Warehouse.objects.create(code="RPT", name="Report bench warehouse")
    pick = Location.objects.create(warehouse=warehouse, code="RPT-P", kind="pick",
                                   pick_sequence=10)
    supplier = Supplier.objects.create(code="RPT-SUP", name="Report bench supplier")
    so, ol, bo, bl = table(SalesOrder), table(OrderLine), table(Backorder), table(BackorderLine)
    ff, fl = table(Fulfillment), table(FulfillmentLine)
    with transaction.atomic(), connection.cursor() as c:
        c.execute(f"INSERT INTO {table(Product)} (sku, upc, name, variant, category,"
                  " description, list_price, discontinued, created_at)"
                  " SELECT 'RP-' || lpad(g::text, 5, '0'), '', 'Report product ' || g, '',"
                  " 'bench', '', 5 + g %% 50, false, now() FROM generate_series(1, %s) g",
                  [PRODUCTS])
        c.execute(f"SELECT min(id) FROM {table(Product)} WHERE sku LIKE 'RP-%%'")
        p0 = c.fetchone()[0]
        c.execute(f"INSERT INTO {table(SalesRep)} (code, name, email)"
                  " SELECT 'REP-' || lpad(g::text, 2, '0'), 'Rep ' || g, ''"
                  " FROM generate_series(1, %s) g", [REPS])
        c.execute(f"SELECT min(id) FROM {table(SalesRep)} WHERE code LIKE 'REP-%%'")
        r0 = c.fetchone()[0]
        c.execute(f"INSERT INTO {table(Customer)} (code, name, email, phone, vip,"
                  " delivery_address, payment_terms, created_at, sales_rep_id)"
                  " SELECT 'RPC-' || lpad(g::text, 5, '0'), 'Report customer ' || g, '', '',"
                  " g %% 10 = 0, '', '', now(), %s + g %% %s FROM generate_series(1, %s) g",
                  [r0, REPS, CUSTOMERS])
        c.execute(f"SELECT min(id) FROM {table(Customer)} WHERE code LIKE 'RPC-%%'")
        c0 = c.fetchone()[0]
        # Opening stock through the stock owner (levels and their movements).
        stocked = list(range(p0, p0 + PRODUCTS, 4))
        ensure_stock_levels((pid, pick.id) for pid in stocked)
        add_stock(rows=[StockIn(level, 10) for level in lock_stock_levels(
                      product_ids=stocked, location_ids=[pick.id])],
                  kind=MovementKind.COUNTED, reason="count", note="report bench seed")
        c.execute(f"INSERT INTO {table(PurchaseOrder)} (status, expected_date, notes,"
                  " created_at, ordered_at, supplier_id)"
                  " SELECT 'ordered', current_date + (g %% 60 - 10)::int, 'rpt', now(), now(), %s"
                  " FROM generate_series(1, 200) g", [supplier.id])
        c.execute(f"INSERT INTO {table(PurchaseOrderLine)} (line_no, quantity, received,"
                  " cancelled, product_id, purchase_order_id)"
                  " SELECT row_number() OVER (PARTITION BY po.id ORDER BY g), 40, 0, 0,"
                  " %s + g, po.id FROM generate_series(0, %s, 2) g"
                  f" JOIN (SELECT id, row_number() OVER (ORDER BY id) - 1 AS i"
                  f" FROM {table(PurchaseOrder)} WHERE notes = 'rpt') po"
                  " ON po.i = (g / 2) %% 200", [p0, PRODUCTS - 1])
        # 500,000 orders over 120 days, each two lines fully backordered.
        c.execute(f"INSERT INTO {so} (reference, status, ship_complete, amount_paid,"
                  " created_at, customer_id)"
                  " SELECT 'rpt-' || g, 'awaiting_backorder', false, 0,"
                  " now() - ((g::bigint * 7919) %% (120 * 86400)) * interval '1 second',"
                  " %s + (g * 31) %% %s FROM generate_series(1, %s) g", [c0, CUSTOMERS, ORDERS])
        c.execute(f"INSERT INTO {ol} (order_id, line_no, product_id, quantity, unit_price,"
                  " allocated, shipped, backordered, cancelled)"
                  " SELECT o.id, n, %s + CASE n WHEN 1 THEN o.id %% %s"
                  " ELSE (o.id * 7 + 1) %% %s END, q, 5 + (o.id + n) %% 50, 0, 0, q, 0"
                  f" FROM {so} o CROSS JOIN (VALUES (1), (2)) v(n)"
                  " CROSS JOIN LATERAL (SELECT 1 + (o.id * n) %% 5 AS q) x"
                  " WHERE o.reference LIKE 'rpt-%%'", [p0, PRODUCTS, PRODUCTS])
        c.execute(f"INSERT INTO {bo} (status, priority, expected_date, expected_date_manual,"
                  " reason, notes, created_at, cancel_reason, cancel_notes, customer_id,"
                  " order_id, split_by_hand)"
                  " SELECT 'open', CASE WHEN id %% 20 = 0 THEN 'high' ELSE 'normal' END,"
                  " CASE WHEN id %% 5 = 0 THEN NULL ELSE current_date + (id %% 70 - 20)::int END,"
                  " true, 'bench', '', created_at, '', '', customer_id, id, false"
                  f" FROM {so} WHERE reference LIKE 'rpt-%%' ORDER BY id", [])
        c.execute(f"INSERT INTO {bl} (backorder_id, order_line_id, product_id, quantity,"
                  " allocated, fulfilled, cancelled, unit_price)"
                  " SELECT b.id, l.id, l.product_id, l.quantity, 0, 0, 0, l.unit_price"
                  f" FROM {bo} b JOIN {ol} l ON l.order_id = b.order_id"
                  " WHERE b.reason = 'bench' ORDER BY l.id", [])
        # 100,000 shipped orders of one line over 60 days; one in five waited
        # on a backorder that was filled 1-20 days later.
        c.execute(f"INSERT INTO {so} (reference, status, ship_complete, amount_paid,"
                  " created_at, customer_id)"
                  " SELECT 'rps-' || g, 'fulfilled', false, 0,"
                  " now() - interval '1 day' - ((g::bigint * 7919) %% (60 * 86400))"
                  " * interval '1 second', %s + (g * 17) %% %s FROM generate_series(1, %s) g",
                  [c0, CUSTOMERS, SHIPPED])
        c.execute(f"INSERT INTO {ol} (order_id, line_no, product_id, quantity, unit_price,"
                  " allocated, shipped, backordered, cancelled)"
                  " SELECT id, 1, %s + id %% %s, 1 + id %% 4, 9.5, 0, 1 + id %% 4, 0, 0"
                  f" FROM {so} WHERE reference LIKE 'rps-%%'", [p0, PRODUCTS])
        c.execute(f"INSERT INTO {bo} (status, priority, expected_date_manual, reason, notes,"
                  " created_at, cancel_reason, cancel_notes, customer_id, order_id,"
                  " split_by_hand)"
                  " SELECT 'complete', 'normal', false, 'bench-filled', '', created_at, '', '',"
                  f" customer_id, id, false FROM {so}"
                  " WHERE reference LIKE 'rps-%%' AND id %% 5 = 0", [])
        c.execute(f"INSERT INTO {bl} (backorder_id, order_line_id, product_id, quantity,"
                  " allocated, fulfilled, cancelled, unit_price)"
                  " SELECT b.id, l.id, l.product_id, l.quantity, 0, l.quantity, 0, l.unit_price"
                  f" FROM {bo} b JOIN {ol} l ON l.order_id = b.order_id"
                  " WHERE b.reason = 'bench-filled'", [])
        c.execute(f"INSERT INTO {ff} (status, carrier, tracking_number, created_at,"
                  " dispatched_at, order_id, backorder_id)"
                  " SELECT 'dispatched', '', '', o.created_at,"
                  " LEAST(now(), o.created_at + CASE WHEN b.id IS NULL THEN interval '1 day'"
                  " ELSE (1 + o.id %% 20) * interval '1 day' END), o.id, b.id"
                  f" FROM {so} o LEFT JOIN {bo} b ON b.order_id = o.id"
                  " WHERE o.reference LIKE 'rps-%%'", [])
        c.execute(f"INSERT INTO {fl} (quantity, backorder_line_id, fulfillment_id,"
                  " order_line_id, product_id)"
                  " SELECT l.quantity, x.id, f.id, l.id, l.product_id"
                  f" FROM {ff} f JOIN {ol} l ON l.order_id = f.order_id"
                  f" LEFT JOIN {bl} x ON x.order_line_id = l.id"
                  f" JOIN {so} o ON o.id = f.order_id WHERE o.reference LIKE 'rps-%%'", [])
    # What `fillrate worker` does every minute on a live system: the orders
    # the seed marked get their stored fill-rate outcomes.
    started = time.perf_counter()
    refreshed = outcomes.refresh()
    refresh_seconds = round(time.perf_counter() - started, 1)
    with connection.cursor() as c:
        c.execute("VACUUM ANALYZE")
        # The seed's gigabytes on disk now, as in a database that has been
        # running: else the checkpoint the server starts a few minutes later
        # lands on the second intake run.
        c.execute("CHECKPOINT")
    return {"orders": refreshed, "seconds": refresh_seconds}


def counts() -> dict[str, int]:
    from fillrate.backorders.models import Backorder, BackorderLine
    from fillrate.orders.models import SalesOrder

    return {"open_backorder_lines": BackorderLine.objects.filter(
                backorder__status="open").count(),
            "backorders": Backorder.objects.count(), "orders": SalesOrder.objects.count()}


def timed(get, url: str, runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        started = time.perf_counter()
        response = get(url)
        if response.status_code != 200:
            raise RuntimeError(f"{url} answered {response.status_code}: "
                               f"{response.content[:200]!r}")
        if hasattr(response, "streaming_content"):
            b"".join(response.streaming_content)
        out.append(time.perf_counter() - started)
    return out


def intake(seconds: float, database_url: str, token: str) -> dict:
    from fillrate.bench.intake import ClientResult, client

    server = Server(database_url=database_url, workers=4)
    try:
        client(server.port, token, time.monotonic() + 2, 999, ClientResult())
        results = [ClientResult() for _ in range(8)]
        stop_at = time.monotonic() + seconds
        threads = [threading.Thread(target=client, args=(server.port, token, stop_at, i,
                                                         results[i])) for i in range(8)]
        started = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - started
    finally:
        server.stop()
    latencies = sorted(x for r in results for x in r.latencies)
    errors = sum(sum(r.errors.values()) for r in results)
    return {"orders_per_second": round(len(latencies) / elapsed, 1),
            "p99_ms": round(percentile(latencies, 99) * 1000, 1), "errors": errors}


def probe() -> float:
    import timeit

    return round(timeit.timeit("sum(range(10000))", number=2000), 3)


def run(*, output: str, database_url: str, intake_seconds: float = 20) -> int:
    import datetime as dt

    from django.test import Client

    from fillrate.accounts.models import User
    from fillrate.accounts.services import add_user, issue_token
    from fillrate.bench import intake as intake_bench
    from fillrate.core.process import freeze_startup_objects

    probes = [probe()]
    intake_token = intake_bench.seed()
    empty = intake(intake_seconds, database_url, intake_token)
    probes.append(probe())
    started = time.perf_counter()
    refresh = seed()
    seeded = round(time.perf_counter() - started, 1)
    sizes = counts()

    add_user(username="rpt-supervisor", role="supervisor")
    token = issue_token(username="rpt-supervisor").token
    api = Client(HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_HOST="127.0.0.1")
    web = Client(HTTP_HOST="127.0.0.1")
    web.force_login(User.objects.get(username="rpt-supervisor"))
    d120 = (dt.date.today() - dt.timedelta(days=119)).isoformat()
    # As `fillrate serve` does before its workers fork: without it every full
    # collection walks everything loaded so far (about 55 ms each here),
    # and the list request that meets one looks three times slower.
    freeze_startup_objects()
    reports = {}
    for name, url in [*REPORTS, ("dashboard page", "/dashboard/")]:
        get = web.get if url.startswith("/dashboard") else api.get
        times = timed(get, url.format(d120=d120), REPORT_RUNS + 1)[1:]  # first run warms up
        reports[name] = {"median_s": round(statistics.median(times), 3),
                         "max_s": round(max(times), 3)}
    lists = {}
    for f in LIST_FILTERS:
        times = sorted(timed(api.get, f"/api/v1/backorders?{f}", LIST_RUNS + 1)[1:])
        lists[f or "(none)"] = {"p50_ms": round(percentile(times, 50) * 1000, 1),
                                "p99_ms": round(percentile(times, 99) * 1000, 1)}
    probes.append(probe())
    full = intake(intake_seconds, database_url, intake_token)
    probes.append(probe())
    ratio = (full["orders_per_second"] / empty["orders_per_second"]
             if empty["orders_per_second"] else 0)
    slow_reports = [k for k, v in reports.items() if v["max_s"] > 0.5]
    slow_lists = [k for k, v in lists.items() if v["p99_ms"] >= 100]
    data = {"benchmark": "reports", "cpu_count": os.cpu_count(), "probe_seconds": probes,
            "seed_seconds": seeded, "outcomes_refresh": refresh, **sizes, "reports": reports,
            "backorder_list": lists,
            "intake_empty": empty, "intake_at_size": full,
            "intake_ratio": round(ratio, 3),
            "targets": {"reports_over_0_5_s": slow_reports,
                        "list_filters_p99_over_100_ms": slow_lists,
                        "intake_within_10_percent": ratio >= 0.9}}
    print_table(f"fillrate bench reports — {sizes['open_backorder_lines']:,} open backorder "
                f"lines, {os.cpu_count()} cores, probe {probes}", [
        ("seed", f"{seeded} s"),
        ("fill-rate outcomes of the seeded orders",
         f"{refresh['orders']:,} orders in {refresh['seconds']} s"),
        *((f"report: {k}", f"median {v['median_s']} s, worst {v['max_s']} s")
          for k, v in reports.items()),
        *((f"list: {k}", f"p50 {v['p50_ms']} ms, p99 {v['p99_ms']} ms")
          for k, v in lists.items()),
        ("intake, empty database", "{orders_per_second} orders/s, p99 {p99_ms} ms".format(
            **empty)),
        ("intake, at size", "{orders_per_second} orders/s, p99 {p99_ms} ms".format(**full)),
        ("intake at size / empty", f"{ratio:.2f}"),
    ])
    write_json(output, data)
    return 0 if not slow_reports and not slow_lists and ratio >= 0.9 else 1

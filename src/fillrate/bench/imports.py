"""`fillrate bench import`: CSV imports of a distributor's size.

Writes three files to a temporary folder and imports each the way
`fillrate import` does (read from disk twice, a chunk at a time):

1. 100,000 new products;
2. the same 100,000 products again with new prices (every row an update);
3. 100,000 stock rows (50,000 products counted at two locations), after
   1,000 orders have left backorders waiting on 1,000 of those products, so
   the count also feeds them.

Figures: seconds, rows/s and the process's peak RSS after each import (a
first import of 10,000 products gives the baseline: memory is flat when
the 100,000-row imports add little to it). Invariants are checked after.
"""

from __future__ import annotations

import os
import resource
import tempfile
import time
from pathlib import Path

from fillrate.bench.common import print_table, write_json

PRODUCTS = 100_000
STOCK_PRODUCTS = 50_000  # at two locations: 100,000 stock rows
WAITING_ORDERS = 1_000


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def write_products(path: Path, n: int, *, start: int = 0, price: str = "12.50") -> None:
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write("sku,name,upc,variant,category,description,list_price,discontinued\r\n")
        for i in range(start, start + n):
            out.write(f"B-{i:06d},Bench product {i},{400000000000 + i},Size {i % 7},"
                      f"Category {i % 50},\"A product, described\",{price},false\r\n")


def write_stock(path: Path, n: int) -> None:
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write("sku,warehouse,location,quantity\r\n")
        for i in range(n):
            out.write(f"B-{i:06d},BENCH,P-01,{i % 40 + 1}\r\n")
            out.write(f"B-{i:06d},BENCH,K-01,{i % 25}\r\n")


def timed_import(kind: str, path: Path) -> dict:
    from fillrate.workflows.imports import kind_named, run_import

    started = time.perf_counter()
    result = run_import(kind_named(kind), lambda: path.open(encoding="utf-8-sig", newline=""))
    seconds = time.perf_counter() - started
    print(f"  {result.summary()}")
    return {"rows": result.rows, "seconds": round(seconds, 2),
            "rows_per_second": round(result.rows / seconds), "created": result.created,
            "updated": result.updated, "unchanged": result.unchanged, **result.extra,
            "peak_rss_mb": round(peak_rss_mb(), 1),
            "file_mb": round(path.stat().st_size / 2**20, 1)}


def seed_waiting_orders() -> None:
    """Locations and 1,000 orders for products without stock: each opens a
    backorder that the stock count then feeds."""
    from fillrate.customers.models import Customer
    from fillrate.inventory.models import Location, Warehouse
    from fillrate.orders.services import LineInput
    from fillrate.workflows.place_order import place_order

    warehouse = Warehouse.objects.create(code="BENCH", name="Bench warehouse")
    Location.objects.create(warehouse=warehouse, code="P-01", kind="pick", pick_sequence=10)
    Location.objects.create(warehouse=warehouse, code="K-01", kind="bulk", pick_sequence=100)
    customer = Customer.objects.create(code="BENCH-C", name="Bench customer")
    step = STOCK_PRODUCTS // WAITING_ORDERS
    for i in range(WAITING_ORDERS):
        place_order(customer=customer.code, lines=[LineInput(f"B-{i * step:06d}", 3)])


def settle() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")


def run(*, output: str) -> int:
    from fillrate.backorders.models import Backorder
    from fillrate.workflows.invariants import all_problems

    print("fillrate bench import: writing the files")
    with tempfile.TemporaryDirectory(prefix="fillrate-bench-") as folder:
        base = Path(folder)
        small, products, again, stock = (base / "small.csv", base / "products.csv",
                                         base / "products-again.csv", base / "stock.csv")
        write_products(small, 10_000, start=PRODUCTS)
        write_products(products, PRODUCTS)
        write_products(again, PRODUCTS, price="13.75")
        write_stock(stock, STOCK_PRODUCTS)
        rss_start = peak_rss_mb()
        baseline = timed_import("products", small)
        first = timed_import("products", products)
        settle()
        second = timed_import("products", again)
        seed_waiting_orders()
        settle()
        counted = timed_import("stock", stock)
    problems = all_problems()
    waiting = Backorder.objects.filter(status="open").count()
    data = {
        "benchmark": "import", "cpu_count": os.cpu_count(),
        "peak_rss_mb_before": round(rss_start, 1),
        "products_10k_baseline": baseline, "products_new": first,
        "products_updated": second, "stock": counted,
        "backorders_still_open": waiting,
        "invariants": "ok" if not problems else problems[:20],
    }

    def line(name: str, r: dict) -> tuple[str, str]:
        return (name, f"{r['seconds']:.1f} s  {r['rows_per_second']:,} rows/s  "
                f"peak RSS {r['peak_rss_mb']:.0f} MB  ({r['file_mb']} MB file)")

    print_table(f"fillrate bench import — {os.cpu_count()} cores", [
        ("process at start", f"peak RSS {rss_start:.0f} MB"),
        line("10,000 new products", baseline),
        line(f"{PRODUCTS:,} new products", first),
        line(f"{PRODUCTS:,} products updated", second),
        line(f"{2 * STOCK_PRODUCTS:,} stock rows", counted),
        ("backorder lines fed by the count", counted.get("backorder_lines_fed", 0)),
        ("invariants", data["invariants"] if problems else "ok"),
    ])
    write_json(output, data)
    return 0 if not problems else 1

"""`fillrate bench pick`: the warehouse floor over HTTP against the real server.

First, creating a pick run from a queue of 2,000 fulfillments (the service
call, and `POST /pick-runs` with its pick path). Then K pickers work at
once, twice for T seconds: each asks for a run of the next fulfillments in
the queue into its own multi-order tote, scans every step of the pick path
with one `POST /pick-runs/{number}/picks` per scan, and packs the tote.
The first time each picker takes `pause` seconds between scans on average
(walking to the next location and scanning location, product and tote
take a person longer than that), which gives the latency a picker sees; the
second time they scan flat out, which gives the most scans per second
the server takes. Figures: latency per scan (p50/p95/p99) and scans per
second of each. Afterwards the invariants are checked.
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

PRODUCTS = 400
LOCATIONS = 200
CUSTOMERS = 100
QUEUE = 2000
RUN_SIZE = 3
PAUSE = 1.0


def seed(fulfillments: int) -> str:
    """A warehouse of pick locations, stocked products, `fulfillments` queued
    fulfillments of 3 lines each, a warehouse user; returns its API token."""
    from django.db import transaction

    from fillrate.accounts.services import add_user, issue_token
    from fillrate.catalog.models import Product
    from fillrate.customers.models import Customer
    from fillrate.inventory.locks import ensure_stock_levels, lock_stock_levels
    from fillrate.inventory.models import Location, MovementKind, Warehouse
    from fillrate.inventory.services import StockIn, add_stock
    from fillrate.orders.services import LineInput
    from fillrate.workflows.fulfil import fulfil_order
    from fillrate.workflows.place_order import place_order

    warehouse = Warehouse.objects.create(code="BENCH", name="Bench warehouse")
    locations = Location.objects.bulk_create([
        Location(warehouse=warehouse, code=f"A-{i:03d}", kind="pick", pick_sequence=i * 10,
                 zone=f"Z{i // 50}") for i in range(LOCATIONS)])
    products = Product.objects.bulk_create([
        Product(sku=f"P-{i:04d}", upc=f"{900000000000 + i}", name=f"Bench product {i}",
                list_price="9.99") for i in range(PRODUCTS)])
    with transaction.atomic():
        pairs = [(p.id, locations[i % LOCATIONS].id) for i, p in enumerate(products)]
        ensure_stock_levels(pairs)
        add_stock(rows=[StockIn(level, 1_000_000) for level in lock_stock_levels(
                      product_ids=[p.id for p in products])],
                  kind=MovementKind.COUNTED, reason="count", note="bench seed")
    Customer.objects.bulk_create([
        Customer(code=f"BC-{i:03d}", name=f"Bench customer {i}", vip=i % 10 == 0)
        for i in range(CUSTOMERS)])
    rng = random.Random(7)
    for n in range(fulfillments):
        skus = rng.sample(range(PRODUCTS), 3)
        placed = place_order(customer=f"BC-{n % CUSTOMERS:03d}",
                             lines=[LineInput(f"P-{i:04d}", rng.randint(1, 3)) for i in skus])
        fulfil_order(number=placed.order.number)
    add_user(username="bench-picker", role="warehouse")
    return issue_token(username="bench-picker").token


def http(port: int, token: str, method: str, path: str,
         body: dict | None = None) -> tuple[int, dict]:
    """One request on a new connection (gunicorn's sync workers close each
    one): the status (0 when the connection failed) and the JSON body."""
    data = json.dumps(body).encode() if body is not None else b""
    request = (f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
               f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n"
               f"Content-Length: {len(data)}\r\nConnection: close\r\n\r\n").encode() + data
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
            sock.sendall(request)
            chunks = []
            while chunk := sock.recv(65536):
                chunks.append(chunk)
    except OSError:
        return 0, {}
    raw = b"".join(chunks)
    head, _, payload = raw.partition(b"\r\n\r\n")
    try:
        status = int(head.split(b" ", 2)[1])
    except (IndexError, ValueError):
        return 0, {}
    try:
        return status, json.loads(payload) if payload else {}
    except ValueError:
        return status, {}


@dataclass
class Picker:
    scans: list[float] = field(default_factory=list)
    runs: int = 0
    packed: int = 0
    errors: dict[str, int] = field(default_factory=dict)

    def error(self, what: str, status: int, body: dict) -> None:
        key = f"{what} {status} {body.get('error', {}).get('code', '')}".strip()
        self.errors[key] = self.errors.get(key, 0) + 1


def picker(port: int, token: str, tote: str, stop_at: float, pause: float,
           out: Picker) -> None:
    """Runs of `RUN_SIZE` fulfillments into one tote until time is up or the
    queue is empty: every step scanned (`pause` seconds apart on average,
    from half to one and a half times that: people do not scan in step),
    then the tote packed."""
    rng = random.Random(tote)
    time.sleep(rng.uniform(0, pause))
    while time.monotonic() < stop_at:
        status, run = http(port, token, "POST", "/api/v1/pick-runs",
                           {"max_fulfillments": RUN_SIZE, "tote": tote})
        if status == 409 and run.get("error", {}).get("code") == "picking.queue_empty":
            return
        if status != 201:
            out.error("run", status, run)
            continue
        out.runs += 1
        url = f"/api/v1/pick-runs/{run['number']}/picks"
        finished, mine = True, False
        for step in run["path"]:
            if not step["remaining"] or step["location"] is None:
                continue
            if time.monotonic() >= stop_at:
                finished = False
                break
            time.sleep(rng.uniform(0.5 * pause, 1.5 * pause))
            started = time.perf_counter()
            status, body = http(port, token, "POST", url, {
                "fulfillment": step["fulfillment"], "sku": step["upc"] or step["sku"],
                "location": step["location"], "quantity": step["remaining"],
                # one left half-picked by the last phase stays in its own tote
                "tote": step["tote"] or tote})
            elapsed = time.perf_counter() - started
            if status == 201:
                out.scans.append(elapsed)
                mine = mine or not step["tote"] or step["tote"] == tote
            else:
                out.error("scan", status, body)
        if not finished:  # time is up: the next phase picks on from the tote
            http(port, token, "POST", f"/api/v1/pick-runs/{run['number']}/cancel")
            return
        if not mine:  # all of it was in other pickers' totes
            continue
        status, body = http(port, token, "POST", f"/api/v1/totes/{tote}/pack")
        if status == 200:
            out.packed += len(body["packed"])
        else:
            out.error("pack", status, body)


def time_run_creation() -> dict:
    """Creating runs from the full queue: the service (20 and 1,000) and the
    rendered run with its pick path; each run is cancelled after, so the
    queue is whole again."""
    from fillrate.picking.selectors import queue_queryset, run_detail
    from fillrate.picking.services import cancel_pick_run, create_pick_run

    queue = queue_queryset().count()
    out = {"queue": queue}
    for size in (20, 1000):
        started = time.perf_counter()
        run = create_pick_run(max_fulfillments=size)
        made = time.perf_counter() - started
        started = time.perf_counter()
        detail = run_detail(run.number)
        rendered = time.perf_counter() - started
        out[f"run_of_{size}"] = {"create_ms": round(made * 1000, 1),
                                 "path_ms": round(rendered * 1000, 1),
                                 "steps": len(detail.path)}
        cancel_pick_run(number=run.number)
    return out


def phase(port: int, token: str, totes: list[str], seconds: float, pause: float) -> dict:
    from fillrate.picking.models import Pick

    results = [Picker() for _ in totes]
    picks_before = Pick.objects.count()
    stop_at = time.monotonic() + seconds
    threads = [threading.Thread(target=picker,
                                args=(port, token, totes[i], stop_at, pause, results[i]))
               for i in range(len(totes))]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    scans = sorted(x for r in results for x in r.scans)
    errors: dict[str, int] = {}
    for r in results:
        for k, v in r.errors.items():
            errors[k] = errors.get(k, 0) + v
    return {
        "pause_seconds": pause, "seconds": round(elapsed, 2), "scans": len(scans),
        "picks_in_database": Pick.objects.count() - picks_before,
        "scans_per_second": round(len(scans) / elapsed, 1) if elapsed else 0,
        "scan_latency_ms": {p: round(percentile(scans, q) * 1000, 1)
                            for p, q in (("p50", 50), ("p95", 95), ("p99", 99))},
        "runs": sum(r.runs for r in results),
        "fulfillments_packed": sum(r.packed for r in results),
        "errors": errors,
    }


def run(*, pickers: int, seconds: float, workers: int, output: str, database_url: str,
        pause: float = PAUSE) -> int:
    from fillrate.picking.totes import create_tote
    from fillrate.workflows.invariants import all_problems

    started = time.perf_counter()
    token = seed(QUEUE)
    seeded = time.perf_counter() - started
    creation = time_run_creation()
    totes = [create_tote(code=f"BT-{i:03d}").code for i in range(pickers)]
    server = Server(database_url=database_url, workers=workers)
    try:
        # every worker loads the app and connects before anything is timed
        warm_until = time.monotonic() + 2
        while time.monotonic() < warm_until:
            http(server.port, token, "GET", "/api/v1/pick-queue?limit=1")
        # the same run over HTTP (the request that starts a picker's work):
        # the median of five, each cancelled after
        timings = []
        for _ in range(5):
            started = time.perf_counter()
            status, body = http(server.port, token, "POST", "/api/v1/pick-runs",
                                {"max_fulfillments": 20})
            timings.append(time.perf_counter() - started)
            if status == 201:
                http(server.port, token, "POST", f"/api/v1/pick-runs/{body['number']}/cancel")
        creation["http_run_of_20_ms"] = round(sorted(timings)[2] * 1000, 1)
        paced = phase(server.port, token, totes, seconds, pause)
        flat_out = phase(server.port, token, totes, seconds, 0.0)
    finally:
        server.stop()

    problems = all_problems()
    data = {
        "benchmark": "pick", "pickers": pickers, "server_workers": workers,
        "cpu_count": os.cpu_count(), "seed_seconds": round(seeded, 1),
        "run_creation": creation, "paced": paced, "flat_out": flat_out,
        "invariants": "ok" if not problems else problems[:20],
    }
    r20, r1000 = creation["run_of_20"], creation["run_of_1000"]

    def line(p: dict) -> str:
        return ("{p50} / {p95} / {p99} ms".format(**p["scan_latency_ms"])
                + f", {p['scans_per_second']} scans/s ({p['scans']} scans)")

    print_table(f"fillrate bench pick — {pickers} pickers, {workers} server workers, "
                f"{seconds:g}s each on {os.cpu_count()} cores", [
        (f"scan p50/p95/p99, {pause:g}s between scans", line(paced)),
        ("scan p50/p95/p99, flat out", line(flat_out)),
        ("runs / fulfillments packed",
         f"{paced['runs'] + flat_out['runs']} / "
         f"{paced['fulfillments_packed'] + flat_out['fulfillments_packed']}"),
        (f"run of 20 from a queue of {creation['queue']}",
         f"{r20['create_ms']} ms (+ path {r20['path_ms']} ms); over HTTP with its path "
         f"{creation['http_run_of_20_ms']} ms (median of 5)"),
        (f"run of 1000 from a queue of {creation['queue']}",
         f"{r1000['create_ms']} ms (+ path {r1000['path_ms']} ms, {r1000['steps']} steps)"),
        ("errors", {**paced["errors"], **flat_out["errors"]} or "none"),
        ("invariants", "ok" if not problems else f"{len(problems)} problem(s)"),
    ])
    write_json(output, data)
    ok = all(not p["errors"] and p["picks_in_database"] == p["scans"]
             for p in (paced, flat_out))
    return 0 if not problems and ok else 1

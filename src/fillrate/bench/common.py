"""Shared pieces of the benchmarks: a scratch PostgreSQL database, the real
server, percentiles, the result table and JSON."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlparse, urlunparse


class BenchError(Exception):
    """A one-line reason the benchmark cannot run (exit code 2)."""


def scratch_database_url(base_url: str, name: str) -> str:
    """Recreate database `name` on the server of `base_url` (PostgreSQL only)."""
    parsed = urlparse(base_url)
    if parsed.scheme not in ("postgres", "postgresql", "pgsql"):
        raise BenchError("benchmarks run on PostgreSQL: set DATABASE_URL=postgres://... "
                         "(SQLite serialises every write and would measure nothing useful)")
    import psycopg

    admin = urlunparse(parsed._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return urlunparse(parsed._replace(path=f"/{name}"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`fillrate serve` in a child process against the bench database."""

    def __init__(self, *, database_url: str, workers: int, port: int | None = None) -> None:
        self.port = port or free_port()
        env = dict(os.environ, DATABASE_URL=database_url, FILLRATE_DEBUG="0",
                   FILLRATE_SECRET_KEY="bench-only-secret", FILLRATE_ALLOWED_HOSTS="127.0.0.1")
        self.log = Path(os.environ.get("TMPDIR", "/tmp")) / f"fillrate-bench-{self.port}.log"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "fillrate.cli", "serve", "--host", "127.0.0.1",
             "--port", str(self.port), "--workers", str(workers)],
            env=env, stdout=self.log.open("w"), stderr=subprocess.STDOUT)
        self._wait_ready()

    def _wait_ready(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise BenchError(f"the server exited; see {self.log}")
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{self.port}/api/v1/openapi.json",
                                       timeout=1)
                return
            except OSError:
                time.sleep(0.2)
        raise BenchError(f"the server did not answer in {timeout}s; see {self.log}")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def percentile(sorted_values: list[float], p: float) -> float:
    if not sorted_values:
        return 0.0
    k = min(len(sorted_values) - 1, max(0, round(p / 100 * (len(sorted_values) - 1))))
    return sorted_values[k]


def print_table(title: str, rows: list[tuple[str, object]]) -> None:
    width = max(len(k) for k, _ in rows)
    print(title)
    for key, value in rows:
        print(f"  {key.ljust(width)}  {value}")


def write_json(path: str, data: dict) -> None:
    Path(path).write_text(json.dumps(data, indent=2, default=str) + "\n")
    print(f"  results written to {path}")

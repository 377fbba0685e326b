"""The `fillrate` command. Bad arguments exit with code 2 and a one-line message."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence


class CliError(Exception):
    """A one-line message for the user; the command exits with code 2."""


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fillrate.settings")
    import django

    django.setup()


def cmd_migrate(args: argparse.Namespace) -> int:
    from django.conf import settings
    from django.core.management import call_command

    if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
        settings.VAR_DIR.mkdir(parents=True, exist_ok=True)
    call_command("migrate", interactive=False, verbosity=1 if args.verbose else 0)
    print("database is up to date")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from django.conf import settings

    if not settings.DEBUG and not settings.SECRET_KEY_FROM_ENV:
        raise CliError("FILLRATE_SECRET_KEY is not set: set it, or FILLRATE_DEBUG=1 for a "
                       "local development server")
    if args.workers < 1:
        raise CliError("--workers must be at least 1")
    from django.core.management import call_command
    from gunicorn.app.base import BaseApplication

    settings.VAR_DIR.mkdir(parents=True, exist_ok=True)
    call_command("collectstatic", interactive=False, verbosity=0)

    from fillrate.wsgi import application

    options = {
        "bind": f"{args.host}:{args.port}",
        "workers": args.workers,
        "accesslog": "-" if args.access_log else None,
        "errorlog": "-",
        "timeout": 60,
        "graceful_timeout": 5,
    }

    class Server(BaseApplication):
        def load_config(self) -> None:
            for key, value in options.items():
                if value is not None:
                    self.cfg.set(key, value)

        def load(self):
            return application

    print(f"fillrate serving on http://{args.host}:{args.port}/ with {args.workers} workers",
          flush=True)
    if settings.DEBUG and not args.no_worker:
        _worker_beside_server()
    from fillrate.core.process import freeze_startup_objects

    freeze_startup_objects()
    Server().run()
    return 0


def _worker_beside_server() -> None:
    """In debug, `fillrate serve` (so `make run`) delivers notifications too:
    a `fillrate worker` process beside the server, ended with it. In
    production the worker runs as its own process."""
    import atexit
    import subprocess

    worker = subprocess.Popen([sys.executable, "-m", "fillrate.cli", "worker"])
    print(f"fillrate worker started beside the server (pid {worker.pid})", flush=True)
    server_pid = os.getpid()

    def stop() -> None:
        # gunicorn's workers are forks of this process and inherit the hook
        if os.getpid() == server_pid and worker.poll() is None:
            worker.terminate()
            try:
                worker.wait(timeout=10)
            except subprocess.TimeoutExpired:
                worker.kill()

    atexit.register(stop)


# Seconds between the worker's refreshes of the fill-rate outcomes.
OUTCOMES_EVERY = 60


def cmd_worker(args: argparse.Namespace) -> int:
    import datetime as dt
    import logging
    import signal
    import threading

    from fillrate.comms.queue import Retry
    from fillrate.comms.worker import Chore, Options, run
    from fillrate.reports.outcomes import refresh as refresh_outcomes

    for name, value, low in (("--batch", args.batch, 1), ("--max-attempts", args.max_attempts, 1),
                             ("--backoff", args.backoff, 0.001), ("--lease", args.lease, 1),
                             ("--poll", args.poll, 0.01)):
        if value < low:
            raise CliError(f"{name} must be at least {low:g}")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    options = Options(
        batch=args.batch, poll=args.poll,
        retry=Retry(max_attempts=args.max_attempts, base=dt.timedelta(seconds=args.backoff),
                    lease=dt.timedelta(seconds=args.lease)),
        # keep the fill-rate report's stored outcomes fresh between reads
        chores=[Chore("fill-rate outcomes recomputed", OUTCOMES_EVERY, refresh_outcomes)])
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    if not args.once:
        print(f"fillrate worker delivering (batches of {args.batch}; Ctrl-C stops)", flush=True)
    total = run(options, stop=stop, once=args.once, weekly=not args.no_weekly)
    print(f"sent {total.sent}, skipped {total.skipped}, retrying {total.retrying}, "
          f"failed {total.failed}", flush=True)
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from fillrate.demo import load_demo

    summary = load_demo()
    print(summary)
    return 0


def cmd_user_add(args: argparse.Namespace) -> int:
    from fillrate.accounts.services import add_user

    user = add_user(username=args.name, role=args.role, password=args.password,
                    email=args.email or "")
    print(f"added {user.username} ({user.role})")
    return 0


def cmd_user_role(args: argparse.Namespace) -> int:
    from fillrate.accounts.services import change_role

    user = change_role(username=args.name, role=args.role)
    print(f"{user.username} is now {user.role}")
    return 0


def cmd_user_deactivate(args: argparse.Namespace) -> int:
    from fillrate.accounts.services import deactivate_user

    revoked = deactivate_user(username=args.name)
    print(f"deactivated {args.name}; {revoked} API token(s) revoked")
    return 0


def cmd_user_activate(args: argparse.Namespace) -> int:
    from fillrate.accounts.services import activate_user

    user = activate_user(username=args.name)
    print(f"activated {user.username} (old API tokens stay revoked)")
    return 0


def cmd_user_list(args: argparse.Namespace) -> int:
    from fillrate.accounts.selectors import users

    for user in users():
        state = "active" if user.is_active else "inactive"
        print(f"{user.username}\t{user.role}\t{state}\t{user.live_tokens} live token(s)")
    return 0


def cmd_token(args: argparse.Namespace) -> int:
    from fillrate.accounts.models import User
    from fillrate.accounts.selectors import tokens_of
    from fillrate.accounts.services import issue_token, revoke_token

    if args.list or args.revoke is not None:
        user = User.objects.filter(username__iexact=args.name).first()
        if user is None:
            raise CliError(f"no user {args.name!r}")
        if args.revoke is not None:
            if args.revoke not in {t.id for t in tokens_of(user_id=user.id)}:
                raise CliError(f"{user.username} has no token {args.revoke}")
            revoke_token(token_id=args.revoke)
            print(f"revoked token {args.revoke} of {user.username}")
            return 0
        for t in tokens_of(user_id=user.id):
            state = f"revoked {t.revoked_at:%Y-%m-%d}" if t.revoked_at else "live"
            print(f"{t.id}\t{t.prefix}…\t{t.created_at:%Y-%m-%d %H:%M}\t{state}")
        return 0
    issued = issue_token(username=args.name, name=args.label or "")
    print(issued.token)
    return 0


def deploy_problems() -> list[str]:
    """What is not yet set for running in production (`fillrate check --deploy`)."""
    import os

    from django.conf import settings

    out = []
    if not settings.SECRET_KEY_FROM_ENV:
        out.append("FILLRATE_SECRET_KEY is not set: sessions and tokens use a key everyone "
                   "knows")
    elif len(settings.SECRET_KEY_FROM_ENV) < 32:
        out.append("FILLRATE_SECRET_KEY is shorter than 32 characters")
    if settings.DEBUG:
        out.append("FILLRATE_DEBUG is on: errors show stack traces to anyone")
    if "FILLRATE_ALLOWED_HOSTS" not in os.environ:
        out.append("FILLRATE_ALLOWED_HOSTS is not set: only 127.0.0.1 and localhost are "
                   "answered")
    if not settings.HTTPS:
        out.append("FILLRATE_HTTPS is not set: cookies may travel without TLS and there is "
                   "no HSTS (set it behind an HTTPS proxy)")
    if settings.EMAIL_URL.startswith(("console:", "locmem:")):
        out.append("FILLRATE_EMAIL_URL is not set: email is printed, not sent")
    from urllib.parse import urlparse

    if urlparse(settings.PUBLIC_URL).hostname in ("127.0.0.1", "localhost", None):
        out.append(f"FILLRATE_PUBLIC_URL is {settings.PUBLIC_URL}: links in customer emails "
                   "would point at this machine, not at the address customers reach")
    from fillrate.core import sql

    if not sql.set_based():
        out.append("DATABASE_URL does not name PostgreSQL, the production database (the "
                   "default is a SQLite file)")
    return out


def cmd_check(args: argparse.Namespace) -> int:
    from fillrate.workflows.invariants import all_problems

    if args.deploy:
        problems = deploy_problems()
        for problem in problems:
            print(problem)
        if problems:
            print(f"{len(problems)} setting(s) to set before production")
            return 1
        print("ok: set for production")
        return 0

    problems = all_problems()
    for problem in problems:
        print(problem)
    if problems:
        print(f"{len(problems)} problem(s) found")
        return 1
    print("ok: stock levels match their movements and allocations; every ordered unit is "
          "accounted for")
    return 0


IMPORT_KINDS = ["products", "customers", "sales-reps", "locations", "stock", "suppliers",
                "orders", "purchase-orders"]
EXPORT_KINDS = [*IMPORT_KINDS, "backorders", "invoices"]
# Errors printed before "... and N more".
MAX_PRINTED_ERRORS = 20


class _Progress:
    """A progress bar on stderr (tqdm), shown only on a terminal and only
    once a pass has taken more than a second."""

    def __init__(self) -> None:
        self.bars: dict[str, object] = {}

    def __call__(self, phase: str, n: int) -> None:
        from tqdm import tqdm

        bar = self.bars.get(phase)
        if bar is None:
            for other in self.bars.values():
                other.close()
            bar = self.bars[phase] = tqdm(desc=phase, unit=" rows", delay=1.0, leave=False,
                                          file=sys.stderr, disable=not sys.stderr.isatty())
        bar.update(n)

    def close(self) -> None:
        for bar in self.bars.values():
            bar.close()


def cmd_import(args: argparse.Namespace) -> int:
    from fillrate.workflows.imports import ImportFailed, kind_named, run_import, template

    if args.template:
        print(template(args.kind))
        return 0
    if not args.file:
        raise CliError("name the CSV file to import (or --template for its header row)")
    path = args.file
    if path != "-" and not os.path.isfile(path):
        raise CliError(f"no file {path}")
    if path == "-":
        import io

        data = sys.stdin.read()

        def open_lines():
            return io.StringIO(data.lstrip("\ufeff"), newline="")
    else:
        def open_lines():
            return open(path, encoding="utf-8-sig", newline="")

    progress = _Progress()
    try:
        result = run_import(kind_named(args.kind), open_lines, dry_run=args.dry_run,
                            progress=progress)
    except ImportFailed as failed:
        progress.close()
        for error in failed.errors[:MAX_PRINTED_ERRORS]:
            print(f"{path}: {error}", file=sys.stderr)
        if failed.total > MAX_PRINTED_ERRORS:
            print(f"... and {failed.total - MAX_PRINTED_ERRORS} more", file=sys.stderr)
        print(f"fillrate import: {failed.total} error(s); nothing was imported",
              file=sys.stderr)
        return 2
    except UnicodeDecodeError as exc:
        progress.close()
        raise CliError(f"{path} is not UTF-8 text ({exc.reason} at byte {exc.start}); "
                       "save it as CSV UTF-8") from None
    progress.close()
    print(result.summary())
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from fillrate.workflows.imports.exports import write_csv

    if args.file in (None, "-"):
        n = write_csv(args.kind, sys.stdout)
        sys.stdout.flush()
    else:
        target = f"{args.file}.part"
        try:
            with open(target, "w", encoding="utf-8", newline="") as out:
                n = write_csv(args.kind, out)
        except OSError as exc:
            raise CliError(f"cannot write {args.file}: {exc.strerror}") from None
        os.replace(target, args.file)
        print(f"exported {n} rows of {args.kind} to {args.file}", file=sys.stderr)
    return 0


def bench_database(args: argparse.Namespace) -> None:
    """Point this process at a fresh scratch database before Django starts."""
    from fillrate.bench.common import BenchError, scratch_database_url

    try:
        args.database_url = scratch_database_url(os.environ.get("DATABASE_URL", ""),
                                                 args.database)
    except BenchError as exc:
        raise CliError(str(exc)) from None
    os.environ["DATABASE_URL"] = args.database_url


def cmd_bench(args: argparse.Namespace) -> int:
    from django.core.management import call_command

    from fillrate.bench.common import BenchError

    if args.clients is None:
        args.clients = 20 if args.kind == "pick" else 8
    for name, value in (("--clients", args.clients), ("--workers", args.workers)):
        if value < 1:
            raise CliError(f"{name} must be at least 1")
    if args.seconds <= 0:
        raise CliError("--seconds must be positive")
    call_command("migrate", interactive=False, verbosity=0)
    try:
        if args.kind == "intake":
            from fillrate.bench.intake import run

            return run(clients=args.clients, seconds=args.seconds, workers=args.workers,
                       output=args.output or "bench-intake.json",
                       database_url=args.database_url)
        if args.kind == "receive":
            from fillrate.bench.receive import run as run_receive

            return run_receive(workers=args.workers, output=args.output or "bench-receive.json",
                               database_url=args.database_url)
        if args.kind == "import":
            from fillrate.bench.imports import run as run_import_bench

            return run_import_bench(output=args.output or "bench-import.json")
        if args.kind == "reports":
            from fillrate.bench.reports import run as run_reports

            return run_reports(output=args.output or "bench-reports.json",
                               database_url=args.database_url, intake_seconds=args.seconds)
        if args.kind == "pick":
            from fillrate.bench.pick import run as run_pick

            if args.pause < 0:
                raise CliError("--pause cannot be negative")
            return run_pick(pickers=args.clients, seconds=args.seconds, workers=args.workers,
                            output=args.output or "bench-pick.json",
                            database_url=args.database_url, pause=args.pause)
        if args.kind == "notify":
            from fillrate.bench.notify import run as run_notify

            return run_notify(output=args.output or "bench-notify.json")
    except BenchError as exc:
        raise CliError(str(exc)) from None
    raise CliError(f"unknown benchmark {args.kind!r}")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="fillrate", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("migrate", help="create or upgrade the database")
    p.add_argument("-v", "--verbose", action="store_true")
    p.set_defaults(func=cmd_migrate)

    p = sub.add_parser("serve", help="production server (gunicorn)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--access-log", action="store_true", help="log every request to stdout")
    p.add_argument("--no-worker", action="store_true",
                   help="in debug, do not start a notification worker beside the server")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("worker", help="deliver customer emails and webhooks (run beside the "
                       "server in production)")
    p.add_argument("--once", action="store_true", help="deliver what is due, then exit")
    p.add_argument("--batch", type=int, default=100, help="deliveries claimed at a time (100)")
    p.add_argument("--max-attempts", type=int, default=8,
                   help="tries before a delivery is marked failed (8)")
    p.add_argument("--backoff", type=float, default=30,
                   help="seconds before the 2nd try; doubles each time, at most 6 hours (30)")
    p.add_argument("--lease", type=float, default=300,
                   help="seconds a claimed delivery is held before another worker may take "
                   "it (300)")
    p.add_argument("--poll", type=float, default=1.0,
                   help="seconds between looks when nothing is due (1)")
    p.add_argument("--no-weekly", action="store_true",
                   help="do not queue weekly updates of long backorders")
    p.set_defaults(func=cmd_worker)

    p = sub.add_parser("demo", help="load a realistic demo data set (idempotent)")
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("user", help="manage users")
    user_sub = p.add_subparsers(dest="user_command", required=True, metavar="ACTION")
    add = user_sub.add_parser("add", help="add a user")
    add.add_argument("name")
    add.add_argument("--role", required=True,
                     help="administrator, supervisor, warehouse or sales")
    add.add_argument("--password")
    add.add_argument("--email")
    add.set_defaults(func=cmd_user_add)
    role = user_sub.add_parser("role", help="give a user another role")
    role.add_argument("name")
    role.add_argument("role", help="administrator, supervisor, warehouse or sales")
    role.set_defaults(func=cmd_user_role)
    off = user_sub.add_parser("deactivate",
                              help="stop a user signing in; revokes their API tokens at once")
    off.add_argument("name")
    off.set_defaults(func=cmd_user_deactivate)
    on = user_sub.add_parser("activate", help="let a deactivated user sign in again")
    on.add_argument("name")
    on.set_defaults(func=cmd_user_activate)
    listing = user_sub.add_parser("list", help="users, roles, active or not, live tokens")
    listing.set_defaults(func=cmd_user_list)

    p = sub.add_parser("token", help="print a new API token for a user (or list/revoke)")
    p.add_argument("name")
    p.add_argument("--label", help="what the token is for")
    p.add_argument("--list", action="store_true", help="list the user's tokens")
    p.add_argument("--revoke", type=int, metavar="ID", help="revoke the token with this id")
    p.set_defaults(func=cmd_token)

    p = sub.add_parser("bench", help="benchmarks on PostgreSQL: prints a table, writes JSON")
    p.add_argument("kind", choices=["intake", "receive", "import", "reports", "pick", "notify"],
                   help="intake: POST /orders over HTTP; receive: receipts that feed 50,000 "
                   "waiting backorder lines; import: CSV files of 100,000 products and "
                   "100,000 stock rows; reports: each report, the backorder list and "
                   "intake at 1,000,000 open backorder lines; pick: pickers scanning "
                   "through pick runs over HTTP, and creating a run from a queue of 1,000; "
                   "notify: 10,000 queued emails delivered to a local SMTP sink by one worker")
    p.add_argument("--clients", type=int, default=None,
                   help="concurrent clients (8; pickers for pick: 20)")
    p.add_argument("--seconds", type=float, default=30,
                   help="how long to drive load (30; each of the two intake runs of reports)")
    p.add_argument("--workers", type=int, default=4, help="gunicorn workers (4)")
    p.add_argument("--pause", type=float, default=1.0,
                   help="pick: seconds a picker takes between scans in the paced run (1)")
    p.add_argument("--output", help="JSON file (bench-KIND.json)")
    p.add_argument("--database", default="fillrate_bench",
                   help="scratch database, recreated on the DATABASE_URL server")
    p.set_defaults(func=cmd_bench, before_setup=bench_database)

    p = sub.add_parser("import", help="import a CSV file: all rows or none")
    p.add_argument("kind", choices=IMPORT_KINDS)
    p.add_argument("file", nargs="?", help="the CSV file (UTF-8; - for standard input)")
    p.add_argument("--dry-run", action="store_true",
                   help="check and count everything, write nothing")
    p.add_argument("--template", action="store_true", help="print the header row and exit")
    p.set_defaults(func=cmd_import)

    p = sub.add_parser("export", help="export as CSV (re-imports unchanged)")
    p.add_argument("kind", choices=EXPORT_KINDS)
    p.add_argument("file", nargs="?", help="where to write (standard output when omitted)")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("check", help="reconcile stock with the ledger and check invariants")
    p.add_argument("--deploy", action="store_true",
                   help="list what is not yet set for production instead")
    p.set_defaults(func=cmd_check)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if hasattr(args, "before_setup"):
            args.before_setup(args)
    except CliError as exc:
        print(f"fillrate {args.command}: {exc}", file=sys.stderr)
        return 2
    _setup_django()
    from fillrate.core.errors import DomainError

    try:
        return args.func(args)
    except (CliError, DomainError) as exc:
        message = exc.message if isinstance(exc, DomainError) else str(exc)
        print(f"fillrate {args.command}: {message}", file=sys.stderr)
        return 2


def run() -> None:  # pragma: no cover
    sys.exit(main())


if __name__ == "__main__":  # pragma: no cover
    run()

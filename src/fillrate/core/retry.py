"""A bounded retry for transactions that lost a lock race.

Stock is always locked in one global order (DESIGN.md), so deadlocks should
not happen; but a lock wait can still hit PostgreSQL's `lock_timeout` behind
a long transaction (a big receipt), and a deadlock with a path we did not
foresee must not reach the client as a 500. A use case wrapped with
`retry_on_lock_conflict` runs in its own transaction (a savepoint when
nested), and when PostgreSQL aborts it for a deadlock (40P01), a
serialization failure (40001) or a lock timeout (55P03) it is rolled back
and run again, a few times with a short random backoff. That is safe because
the rolled-back attempt left nothing behind. When every attempt fails the
caller gets `request.busy` (503), which says to try again.
"""

from __future__ import annotations

import functools
import logging
import random
import time
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from django.db import OperationalError, transaction

from fillrate.core.errors import Busy

P = ParamSpec("P")
T = TypeVar("T")

RETRYABLE = {"40P01", "40001", "55P03"}
ATTEMPTS = 8
BACKOFF_SECONDS = 0.05

log = logging.getLogger(__name__)


def sqlstate(exc: BaseException) -> str | None:
    """The SQLSTATE of a database error (or of the driver error behind it)."""
    for candidate in (exc, exc.__cause__):
        code = getattr(candidate, "sqlstate", None)
        if code:
            return code
    return None


def retry_on_lock_conflict(fn: Callable[P, T]) -> Callable[P, T]:
    @functools.wraps(fn)
    def run(*args: P.args, **kwargs: P.kwargs) -> T:
        for attempt in range(1, ATTEMPTS + 1):
            try:
                with transaction.atomic():
                    return fn(*args, **kwargs)
            except OperationalError as exc:
                code = sqlstate(exc)
                if code not in RETRYABLE:
                    raise
                log.warning("%s: attempt %d of %d lost a lock race (%s)",
                            fn.__qualname__, attempt, ATTEMPTS, code)
                if attempt == ATTEMPTS:
                    raise Busy("request.busy", "the stock involved is busy: try again in a "
                               "moment (nothing was changed)") from exc
                time.sleep(random.uniform(0.5, 1.5) * BACKOFF_SECONDS * 2 ** (attempt - 1))
        raise AssertionError("unreachable")

    return run

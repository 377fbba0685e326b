"""Pick-run lifecycle: the transition table, checked by the one guard.

`open` (made, nothing scanned) -> `picking` (first scan) -> `done` (every
fulfillment in it picked or sent to the issues wall); undoing the last scan
of a done run reopens it (`done -> picking`); `cancelled` from `open` or
`picking` puts its unfinished fulfillments back in the queue.
"""

from __future__ import annotations

from fillrate.core.lifecycle import check_transition

OPEN, PICKING, DONE, CANCELLED = "open", "picking", "done", "cancelled"

TRANSITIONS = {
    OPEN: frozenset({PICKING, DONE, CANCELLED}),
    PICKING: frozenset({DONE, CANCELLED}),
    DONE: frozenset({PICKING}),
    CANCELLED: frozenset(),
}
ACTIVE = frozenset({OPEN, PICKING})


def check(current: str, new: str) -> None:
    check_transition(TRANSITIONS, current=current, new=new, app="picking")

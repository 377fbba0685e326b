"""One guard for every lifecycle: a transition table is data, checked here."""

from __future__ import annotations

from collections.abc import Mapping

from fillrate.core.errors import Conflict

Transitions = Mapping[str, frozenset[str]]


def can_transition(table: Transitions, current: str, new: str) -> bool:
    return new in table.get(current, frozenset())


def check_transition(table: Transitions, *, current: str, new: str, app: str) -> None:
    """Raise `Conflict("<app>.invalid_transition")` unless `current -> new` is in `table`."""
    if not can_transition(table, current, new):
        raise Conflict(
            f"{app}.invalid_transition",
            f"cannot go from {current!r} to {new!r}",
            field="status",
        )

"""Moving units between the buckets of a line (an order line's allocated,
shipped, backordered, cancelled; a backorder line's allocated, fulfilled,
cancelled): the one mechanism the owners of those lines use, so a line's
units are only ever moved, never made or lost."""

from __future__ import annotations


def move_between(line, quantity: int, *, source: str, target: str, buckets: tuple[str, ...],
                 derived: str) -> None:
    """Move `quantity` units of `line` from bucket `source` to `target` (in
    memory). `derived` is the bucket that is what the others leave (a
    property of the line: an order line's `unallocated`, a backorder line's
    `waiting`). A bucket with fewer units than asked is a bug in the caller:
    `ValueError`."""
    if source not in buckets or target not in buckets or source == target:
        raise ValueError(f"cannot move units from {source!r} to {target!r}")
    if quantity < 0:
        raise ValueError(f"cannot move {quantity} units")
    if not quantity:
        return
    have = getattr(line, source)
    if have < quantity:
        raise ValueError(f"{type(line).__name__} {line.id} has {have} {source}, cannot move "
                         f"{quantity}")
    if source != derived:
        setattr(line, source, have - quantity)
    if target != derived:
        setattr(line, target, getattr(line, target) + quantity)

"""Which stock a request gets: a pure decision, no database.

Candidates are stock levels with free units; each product's candidates are
used in pick sequence (then location id), requests in the order given. What a
request cannot get is its shortfall, which is data (it becomes a backorder),
not an error.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Candidate:
    stock_level_id: int
    product_id: int
    free: int
    pick_sequence: int = 0
    location_id: int = 0


@dataclass(frozen=True)
class Request:
    key: Hashable
    product_id: int
    quantity: int


@dataclass(frozen=True)
class Take:
    key: Hashable
    stock_level_id: int
    quantity: int


@dataclass(frozen=True)
class Plan:
    takes: tuple[Take, ...]
    shortfall: dict[Hashable, int] = field(default_factory=dict)

    def allocated(self, key: Hashable) -> int:
        return sum(t.quantity for t in self.takes if t.key == key)

    @property
    def short(self) -> bool:
        return any(self.shortfall.values())


def plan_allocation(requests: Iterable[Request], candidates: Iterable[Candidate]) -> Plan:
    pools: dict[int, list[list[int]]] = defaultdict(list)
    for c in sorted(candidates, key=lambda c: (c.product_id, c.pick_sequence, c.location_id,
                                               c.stock_level_id)):
        if c.free > 0:
            pools[c.product_id].append([c.stock_level_id, c.free])
    takes: list[Take] = []
    shortfall: dict[Hashable, int] = {}
    for request in requests:
        if request.quantity <= 0:
            raise ValueError(f"request {request.key!r} has quantity {request.quantity}")
        wanted = request.quantity
        for slot in pools.get(request.product_id, ()):
            if wanted == 0:
                break
            got = min(wanted, slot[1])
            if got:
                slot[1] -= got
                wanted -= got
                takes.append(Take(request.key, slot[0], got))
        shortfall[request.key] = wanted
    return Plan(tuple(takes), shortfall)

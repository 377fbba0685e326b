"""The pick path: where a picker goes, in what order, for what (pure).

Every fulfillment line still to pick takes its units from the stock its
order line holds (allocation rows at sellable locations), best pick sequence
first; lines of the same order line share that stock in run order. What is
already picked shows at the location it came from. Steps are ordered by the
location's pick sequence, then location code, then the fulfillment's place
in the run, then SKU: one walk through the warehouse.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Holding:
    """Units an order line holds at one sellable location."""

    location_id: int
    location: str
    pick_sequence: int
    quantity: int
    zone: str = ""


@dataclass(frozen=True)
class PathLine:
    """One fulfillment line of the run: `quantity` units to go in the box,
    `picked` per location id already in the tote, `missing` reported on
    open issues (not to be picked now)."""

    fulfillment: str
    position: int
    line_id: int
    order_line_id: int
    sku: str
    upc: str
    name: str
    quantity: int
    tote: str | None = None
    picked: Mapping[int, int] = field(default_factory=dict)
    missing: int = 0


@dataclass(frozen=True)
class PickStep:
    fulfillment: str
    line_id: int
    location_id: int | None  # None: nothing holds the units (short: a supervisor's matter)
    location: str
    pick_sequence: int | None
    zone: str
    sku: str
    upc: str
    name: str
    quantity: int  # units to be in the tote from this location
    picked: int    # of them already picked
    tote: str | None

    @property
    def remaining(self) -> int:
        return self.quantity - self.picked


UNHELD = 2**31  # sorts steps whose stock is not held anywhere last


def plan_pick_path(lines: Sequence[PathLine],
                   holdings: Mapping[int, Sequence[Holding]],
                   places: Mapping[int, Holding] | None = None) -> list[PickStep]:
    """`holdings[order line id]`: the stock each order line holds now (not
    counting picked units, which are in totes). `places[location id]`
    describes the locations picked units came from (for their steps)."""
    places = dict(places or {})
    left: dict[int, list[list]] = {
        ol: [[h, h.quantity] for h in sorted(hs, key=lambda h: (h.pick_sequence, h.location,
                                                                 h.location_id))]
        for ol, hs in holdings.items()}
    for hs in holdings.values():
        for h in hs:
            places.setdefault(h.location_id, h)
    steps: dict[tuple[int, int | None], list[int]] = defaultdict(lambda: [0, 0])
    for line in sorted(lines, key=lambda x: (x.position, x.line_id)):
        for location_id, units in line.picked.items():
            if units > 0:
                step = steps[(line.line_id, location_id)]
                step[0] += units
                step[1] += units
        due = line.quantity - sum(line.picked.values()) - line.missing
        for slot in left.get(line.order_line_id, []):
            if due <= 0:
                break
            take = min(due, slot[1])
            if take > 0:
                slot[1] -= take
                due -= take
                steps[(line.line_id, slot[0].location_id)][0] += take
        if due > 0:
            steps[(line.line_id, None)][0] += due
    by_id = {x.line_id: x for x in lines}
    out = []
    for (line_id, location_id), (quantity, picked) in steps.items():
        line = by_id[line_id]
        place = places.get(location_id) if location_id is not None else None
        out.append(PickStep(
            fulfillment=line.fulfillment, line_id=line_id, location_id=location_id,
            location=place.location if place else "", zone=place.zone if place else "",
            pick_sequence=place.pick_sequence if place else None,
            sku=line.sku, upc=line.upc, name=line.name, quantity=quantity, picked=picked,
            tote=line.tote))
    positions = {x.line_id: x.position for x in lines}
    out.sort(key=lambda s: (UNHELD if s.pick_sequence is None else s.pick_sequence,
                            s.location, positions[s.line_id], s.sku, s.line_id))
    return out


def next_step(steps: Sequence[PickStep]) -> PickStep | None:
    """The first step with units still to pick at a known location."""
    return next((s for s in steps if s.remaining > 0 and s.location_id is not None), None)

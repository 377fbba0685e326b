"""`fillrate demo` on a fresh install: it finds the default warehouse MAIN,
uses its receiving and issues locations and adds its own shelves. (Its own
module: tests/test_demo.py keeps one demo loaded for a whole module.)"""

from __future__ import annotations

from django.apps import apps

from fillrate.demo import load_demo
from fillrate.inventory.models import Location, Warehouse
from fillrate.workflows.invariants import all_problems
from tests.test_demo import added


def row_counts() -> dict[str, int]:
    return {m._meta.label: m.objects.count() for m in apps.get_models()}


def test_the_demo_loads_onto_a_fresh_install_s_default_warehouse(default_warehouse):
    first = added(load_demo())
    # RECV and ISSUES are the fresh install's; the demo adds its shelves and racks.
    assert first["locations"] == 6
    assert list(Warehouse.objects.values_list("code", flat=True)) == ["MAIN"]
    # (and its totes, each with a place of its own that is not a shelf)
    codes = set(Location.objects.exclude(kind="tote").values_list("code", flat=True))
    assert codes == {"PICK", "RECV", "ISSUES", "A-01", "A-02", "A-03", "A-04", "B-01", "B-02"}
    assert Location.objects.filter(kind="tote").count() == first["totes"] == 8
    counts = row_counts()
    assert not any(added(load_demo()).values())
    assert row_counts() == counts
    assert all_problems() == []

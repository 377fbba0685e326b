"""Event types are named once, in `fillrate.core.event_types`: writing an
unknown type is refused, and no module spells a type as a bare string."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.db import transaction

import fillrate
from fillrate.core.event_types import EventType
from fillrate.core.events import record_event, record_events
from fillrate.core.models import Event

LITERAL = re.compile(r'(type=|"type": )"[A-Z][A-Za-z]+"')


def test_no_module_spells_an_event_type_as_a_string():
    src = Path(fillrate.__file__).parent
    found = {str(p.relative_to(src)): LITERAL.findall(p.read_text())
             for p in src.rglob("*.py") if "migrations" not in p.parts}
    assert {k: v for k, v in found.items() if v} == {}


@pytest.mark.django_db
def test_an_unknown_event_type_is_refused_and_nothing_is_written():
    with pytest.raises(ValueError, match="OrderPlacd"), transaction.atomic():
        record_event(type="OrderPlacd", subject_type="order", subject="SO-1")
    with pytest.raises(ValueError), transaction.atomic():
        record_events([{"type": "Nope", "subject_type": "order", "subject": "SO-1"}])
    assert not Event.objects.exists()


@pytest.mark.django_db
def test_a_known_type_is_stored_as_its_name():
    with transaction.atomic():
        record_event(type=EventType.ORDER_PLACED, subject_type="order", subject="SO-1")
    assert Event.objects.get().type == "OrderPlaced"

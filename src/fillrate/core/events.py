"""Writing events. Call inside the transaction that makes the change."""

from __future__ import annotations

from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction

from fillrate.core.event_types import EventType
from fillrate.core.models import Event
from fillrate.core.sql import insert_instances


def _jsonable(payload: dict[str, Any]) -> dict[str, Any]:
    import json

    return json.loads(json.dumps(payload, cls=DjangoJSONEncoder))


def known_type(name: str) -> str:
    """The event type, which must be one of `EventType` (each is named once
    there): a misspelt type is a bug, not a new kind of event."""
    try:
        return EventType(name).value
    except ValueError:
        raise ValueError(f"{name!r} is not an event type in fillrate.core.event_types") from None


def record_event(
    *, type: str, subject_type: str, subject: str, actor_id: int | None = None,
    payload: dict[str, Any] | None = None,
) -> Event:
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("record_event must run inside the transaction of the change")
    return Event.objects.create(
        type=known_type(type), subject_type=subject_type, subject=subject, actor_id=actor_id,
        payload=_jsonable(payload or {}),
    )


def event_rows(rows: list[dict[str, Any]]) -> list[Event]:
    """Unsaved events (same keywords as `record_event`), for `record_events`
    or a `WriteBatch` (call inside the transaction of the change)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("events must be written inside the transaction of the change")
    return [
        Event(
            type=known_type(r["type"]), subject_type=r["subject_type"], subject=r["subject"],
            actor_id=r.get("actor_id"), payload=_jsonable(r.get("payload") or {}),
        )
        for r in rows
    ]


def record_events(rows: list[dict[str, Any]]) -> None:
    """Many events in one statement (same keywords as `record_event`)."""
    insert_instances(event_rows(rows))


def save_field_changes(instance, changes: dict[str, Any], *, type: str, subject_type: str,
                       subject: str, actor_id: int | None = None,
                       shown=lambda value: value) -> list[str]:
    """Set each changed field of a locked row and save them, with one event
    of `type` per field that changed (`{field, old, new}`, values passed
    through `shown`); a value equal to the current one is no change and
    writes nothing. Returns the fields that changed."""
    events, fields = [], []
    for field, new in changes.items():
        old = getattr(instance, field)
        if old == new:
            continue
        events.append({"type": type, "subject_type": subject_type, "subject": subject,
                       "actor_id": actor_id,
                       "payload": {"field": field, "old": shown(old), "new": shown(new)}})
        setattr(instance, field, new)
        fields.append(field)
    if fields:
        instance.save(update_fields=fields)
        record_events(events)
    return fields

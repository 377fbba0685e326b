from __future__ import annotations

from ninja import Field, Query, Router, Schema

from fillrate.api.auth import needs
from fillrate.api.pagination import PageParams, paginate
from fillrate.api.schemas import EventOut, Page
from fillrate.core.models import Event
from fillrate.core.selectors import events_after

router = Router(tags=["events"])


class EventFilters(Schema):
    after: int = Field(0, ge=0, le=2**63 - 1)  # event ids are 64-bit


def render_event(e: Event) -> dict:
    return {
        "id": e.id, "type": e.type, "subject_type": e.subject_type, "subject": e.subject,
        "actor": e.actor.username if e.actor else None, "payload": e.payload,
        "created_at": e.created_at,
    }


@router.get("/events", response=Page[EventOut], auth=needs("events.view"))
def list_events(request, filters: Query[EventFilters], page: Query[PageParams]):
    return paginate(events_after(after=filters.after), page, render_event)

from __future__ import annotations

from django.db.models import QuerySet

from fillrate.core.models import Event


def events_after(*, after: int = 0) -> QuerySet[Event]:
    return Event.objects.filter(id__gt=after).select_related("actor").order_by("id")


def events_for(*, subject_type: str, subject: str) -> QuerySet[Event]:
    return (
        Event.objects.filter(subject_type=subject_type, subject=subject)
        .select_related("actor")
        .order_by("id")
    )

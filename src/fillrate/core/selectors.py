from __future__ import annotations

from django.db.models import Q, QuerySet

from fillrate.core.models import Event


def events_after(*, after: int = 0) -> QuerySet[Event]:
    return Event.objects.filter(id__gt=after).select_related("actor").order_by("id")


def events_for(*, subject_type: str, subject: str) -> QuerySet[Event]:
    return (
        Event.objects.filter(subject_type=subject_type, subject=subject)
        .select_related("actor")
        .order_by("id")
    )


def suggestions(rows: QuerySet, *, code: str, text: str, limit: int = 12) -> list:
    """Rows whose `code` field or name contains `text` (any case): codes
    that start with it first, then by code. For as-you-type suggestions."""
    text = text.strip()
    if not text:
        return []
    matches = rows.filter(Q(**{f"{code}__icontains": text}) | Q(name__icontains=text))
    starts = list(matches.filter(**{f"{code}__istartswith": text}).order_by(code)[:limit])
    rest = list(matches.exclude(id__in=[r.id for r in starts]).order_by(code)
                [:limit - len(starts)]) if len(starts) < limit else []
    return starts + rest

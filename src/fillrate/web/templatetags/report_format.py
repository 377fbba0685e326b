"""Filters for the report pages: ratios as percentages, missing figures as a dash."""

from __future__ import annotations

from decimal import Decimal

from django import template

register = template.Library()


@register.filter
def percent(value) -> str:
    """0.4286 -> "42.9 %"; None (nothing counted) -> "—"."""
    if value is None:
        return "—"
    return f"{Decimal(value) * 100:.1f} %"


@register.filter
def dash(value) -> str:
    return "—" if value is None else str(value)


@register.filter
def money(value) -> str:
    return f"{Decimal(value):,.2f}"


@register.filter
def get(mapping, key):
    return mapping.get(key) if mapping else None

"""Business settings (API.md): typed, validated, defaults from the contract.

Read with `business_settings()`; change with `change_settings(...)`, which
writes one `SettingChanged` event per changed key.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, fields
from typing import Any

from django.db import transaction

from fillrate.core.errors import InvalidValue
from fillrate.core.event_types import EventType
from fillrate.core.events import record_events
from fillrate.core.models import Setting
from fillrate.core.sql import fetch, quote, table
from fillrate.core.validation import check_email

OVERSELL_POLICIES = ("backorder", "hold", "reject")
ALLOCATION_POLICIES = ("fifo", "priority")
PICK_WORKFLOWS = ("off", "on")


@dataclass(frozen=True)
class BusinessSettings:
    oversell_policy: str = "backorder"
    allocation_policy: str = "fifo"
    partial_shipments: bool = True
    charge_backorders_on_shipment: bool = True
    max_backorder_age_days: int = 30
    notify_customers: bool = True
    currency: str = "USD"
    pick_workflow: str = "off"
    # Who the customer's choice page (and its "this link cannot be used"
    # page) tells the customer to contact.
    shop_name: str = "fillrate"
    contact_email: str = ""
    contact_phone: str = ""


DEFAULTS = BusinessSettings()
DESCRIPTIONS = {
    "oversell_policy": "What an order line beyond available stock does: backorder the "
    "shortfall at once, hold the order on the oversold list, or reject it.",
    "allocation_policy": "Who gets received stock first: fifo (oldest backorder first) or "
    "priority (high priority, then VIP customers, then oldest).",
    "partial_shipments": "Ship what is available now and backorder the rest; off holds the "
    "whole order until it is complete.",
    "charge_backorders_on_shipment": "An unpaid order's amount due excludes backordered lines "
    "until they ship.",
    "max_backorder_age_days": "Open backorders older than this are flagged for review.",
    "notify_customers": "Send backorder notifications to customers.",
    "currency": "The ISO 4217 code of the currency prices are in (USD, EUR, GBP, ...): "
    "pages show amounts in it; the API and CSV exports carry plain numbers.",
    "pick_workflow": "off: fulfillments are dispatched straight from the queue; on: they are "
    "picked into totes, packed, and only packed fulfillments are dispatched.",
    "shop_name": "The shop's name, as customers see it on their backorder choice page.",
    "contact_email": "The address customers are told to write to (empty: none shown).",
    "contact_phone": "The telephone number customers are told to call (empty: none shown).",
}
TEXT_LIMITS = {"shop_name": 100, "contact_email": 254, "contact_phone": 40}


def _validate(key: str, value: Any) -> Any:
    if key == "oversell_policy":
        if value not in OVERSELL_POLICIES:
            raise InvalidValue("settings.invalid_value",
                               f"oversell_policy must be one of {', '.join(OVERSELL_POLICIES)}",
                               field=key)
    elif key == "allocation_policy":
        if value not in ALLOCATION_POLICIES:
            raise InvalidValue("settings.invalid_value",
                               f"allocation_policy must be one of "
                               f"{', '.join(ALLOCATION_POLICIES)}", field=key)
    elif key == "max_backorder_age_days":
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 3650:
            raise InvalidValue("settings.invalid_value",
                               "max_backorder_age_days must be a whole number from 1 to 3650",
                               field=key)
    elif key == "pick_workflow":
        if value not in PICK_WORKFLOWS:
            raise InvalidValue("settings.invalid_value",
                               f"pick_workflow must be one of {', '.join(PICK_WORKFLOWS)}",
                               field=key)
    elif key == "currency":
        if not isinstance(value, str) or not re.fullmatch(r"[A-Z]{3}", value):
            raise InvalidValue("settings.invalid_value",
                               "currency must be a three-letter ISO 4217 code such as USD",
                               field=key)
    elif key in TEXT_LIMITS:
        if not isinstance(value, str) or len(value) > TEXT_LIMITS[key]:
            raise InvalidValue("settings.invalid_value",
                               f"{key} must be text of at most {TEXT_LIMITS[key]} characters",
                               field=key)
        if key == "shop_name" and not value.strip():
            raise InvalidValue("settings.invalid_value", "shop_name cannot be empty",
                               field=key)
        if key == "contact_email":
            try:
                check_email(value, app="settings")
            except InvalidValue as error:
                raise InvalidValue("settings.invalid_value", error.message,
                                   field=key) from None
        if key == "contact_phone" and value.strip() and not re.fullmatch(
                r"\+?[0-9][0-9 ()./-]{2,38}", value.strip()):
            raise InvalidValue("settings.invalid_value",
                               "contact_phone must be a telephone number such as "
                               "+1 555 0100", field=key)
    elif not isinstance(value, bool):
        raise InvalidValue("settings.invalid_value", f"{key} must be true or false", field=key)
    return value


def business_settings() -> BusinessSettings:
    # A plain statement: order placement reads the settings every time.
    rows = fetch(f"SELECT {quote('key')}, {quote('value')} FROM {table(Setting)}")
    stored = dict(rows)
    return settings_from_values([stored.get(f.name) for f in fields(BusinessSettings)])


def settings_subqueries() -> str:
    """SQL for one scalar subquery per setting (its stored value, or NULL), in
    `BusinessSettings` field order: a hot-path statement reads the settings
    along with its own rows, then `settings_from_values` makes them typed."""
    return ", ".join(
        f"(SELECT {quote('value')} FROM {table(Setting)} WHERE {quote('key')} = '{f.name}')"
        for f in fields(BusinessSettings))


def settings_from_values(values: list[Any]) -> BusinessSettings:
    """Stored values (JSON text or decoded, None when unset) in field order."""
    return BusinessSettings(**{
        f.name: json.loads(v) if isinstance(v, str) else v
        for f, v in zip(fields(BusinessSettings), values, strict=True) if v is not None})


def change_settings(*, changes: dict[str, Any], actor_id: int | None = None) -> BusinessSettings:
    """Validate every change first (all or nothing), then store and record events."""
    known = {f.name for f in fields(BusinessSettings)}
    for key, value in changes.items():
        if key not in known:
            raise InvalidValue("settings.unknown_setting", f"no setting {key!r}", field=key)
        _validate(key, value)
    with transaction.atomic():
        current = asdict(business_settings())
        events = []
        for key, value in changes.items():
            if current[key] == value:
                continue
            Setting.objects.update_or_create(key=key, defaults={"value": value})
            events.append({"type": EventType.SETTING_CHANGED,
                           "subject_type": "setting", "subject": key,
                           "actor_id": actor_id, "payload": {"old": current[key], "new": value}})
        if events:
            record_events(events)
    return business_settings()

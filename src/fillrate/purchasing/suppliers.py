"""Changing a supplier's master data (creating one is in `services`)."""

from __future__ import annotations

from django.db import transaction

from fillrate.catalog.services import refuse_unknown_fields
from fillrate.core.errors import InvalidValue, NotFound
from fillrate.core.event_types import EventType
from fillrate.core.events import save_field_changes
from fillrate.core.validation import check_email
from fillrate.purchasing.models import Supplier
from fillrate.purchasing.services import MAX_LEAD_TIME_DAYS

# What `update_supplier` may change, with the longest text each field takes.
EDITABLE = {"name": 200, "email": 254, "lead_time_days": None}


def _clean(field: str, value):
    if field == "lead_time_days":
        if isinstance(value, bool) or not isinstance(value, int) \
                or not 0 <= value <= MAX_LEAD_TIME_DAYS:
            raise InvalidValue("purchasing.invalid_lead_time",
                               f"lead time is a whole number of days from 0 to "
                               f"{MAX_LEAD_TIME_DAYS}", field="lead_time_days")
        return value
    if not isinstance(value, str):
        raise InvalidValue("purchasing.invalid_value", f"{field} is text", field=field)
    value = value.strip()
    if field == "name" and not value:
        raise InvalidValue("purchasing.invalid_name", "a supplier needs a name", field="name")
    if field == "email":
        value = check_email(value, app="purchasing")
    if len(value) > EDITABLE[field]:
        raise InvalidValue("purchasing.invalid_value",
                           f"{field} takes at most {EDITABLE[field]} characters", field=field)
    return value


def update_supplier(*, code: str, changes: dict, actor_id: int | None = None) -> Supplier:
    """Change a supplier's `name`, `email` or `lead_time_days` (not the code).
    One `SupplierUpdated` event per changed field with old and new value.
    A new lead time dates purchase orders created from now on; existing ones
    keep their expected dates.

    Locks the supplier row. Raises `purchasing.unknown_supplier` (404),
    `purchasing.not_editable` (422, a field that cannot be changed) and the
    field errors of `create_supplier`; on any error nothing changes."""
    refuse_unknown_fields(changes, EDITABLE, code="purchasing.not_editable")
    clean = {field: _clean(field, value) for field, value in changes.items()}
    with transaction.atomic():
        supplier = Supplier.objects.select_for_update().filter(code=code).first()
        if supplier is None:
            raise NotFound("purchasing.unknown_supplier", f"no supplier {code!r}",
                           field="supplier")
        save_field_changes(supplier, clean, type=EventType.SUPPLIER_UPDATED,
                           subject_type="supplier", subject=supplier.code, actor_id=actor_id)
    return supplier

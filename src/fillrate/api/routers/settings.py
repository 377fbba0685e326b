from __future__ import annotations

from dataclasses import asdict

from ninja import Field, Router, Schema

from fillrate.api.auth import actor_id, needs
from fillrate.api.schemas import EMAIL, NAME, SPACE, Count, Flag, OneOf, RequestSchema
from fillrate.core.business import (
    ALLOCATION_POLICIES,
    OVERSELL_POLICIES,
    PICK_WORKFLOWS,
    TEXT_LIMITS,
    business_settings,
)
from fillrate.workflows.settings import change_business_settings

router = Router(tags=["settings"])

# Empty, or a telephone number as core.business checks it (after stripping
# the spaces around it): a digit or '+', then digits, spaces and ()./-.
PHONE = {"pattern": f"^[{SPACE}]*(\\+?[0-9][0-9 ()./-]{{1,37}}[0-9()./-])?[{SPACE}]*$"}


class SettingsOut(Schema):
    oversell_policy: str
    allocation_policy: str
    partial_shipments: bool
    charge_backorders_on_shipment: bool
    max_backorder_age_days: int
    notify_customers: bool
    currency: str
    pick_workflow: str
    shop_name: str
    contact_email: str
    contact_phone: str


class SettingsPatch(RequestSchema):
    """Only the settings sent change; null leaves one as it is."""

    PARTIAL = True

    NULLABLE = frozenset({"oversell_policy", "allocation_policy", "partial_shipments",
                          "charge_backorders_on_shipment", "max_backorder_age_days",
                          "notify_customers", "currency", "pick_workflow", "shop_name",
                          "contact_email", "contact_phone"})

    oversell_policy: OneOf(OVERSELL_POLICIES) | None = None
    allocation_policy: OneOf(ALLOCATION_POLICIES) | None = None
    partial_shipments: Flag | None = None
    charge_backorders_on_shipment: Flag | None = None
    max_backorder_age_days: Count | None = Field(
        None, json_schema_extra={"minimum": 1, "maximum": 3650})
    notify_customers: Flag | None = None
    currency: str | None = Field(None, json_schema_extra={"pattern": "^[A-Z]{3}$"})
    pick_workflow: OneOf(PICK_WORKFLOWS) | None = None
    shop_name: str | None = Field(None, json_schema_extra={
        **NAME, "maxLength": TEXT_LIMITS["shop_name"]})
    contact_email: str | None = Field(None, json_schema_extra={
        **EMAIL, "maxLength": TEXT_LIMITS["contact_email"]})
    contact_phone: str | None = Field(None, json_schema_extra={
        **PHONE, "maxLength": TEXT_LIMITS["contact_phone"]})


@router.get("/settings", response=SettingsOut, auth=needs("settings.view"))
def get_settings(request):
    return asdict(business_settings())


@router.patch("/settings", response=SettingsOut, auth=needs("settings.change"))
def patch_settings(request, payload: SettingsPatch):
    changes = {k: v for k, v in payload.dict(exclude_unset=True).items() if v is not None}
    return asdict(change_business_settings(changes=changes, actor_id=actor_id(request)))

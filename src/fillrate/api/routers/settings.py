from __future__ import annotations

from dataclasses import asdict

from ninja import Router, Schema

from fillrate.api.auth import actor_id, needs
from fillrate.api.schemas import Count, Flag, RequestSchema
from fillrate.core.business import business_settings
from fillrate.workflows.settings import change_business_settings

router = Router(tags=["settings"])


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
    oversell_policy: str | None = None
    allocation_policy: str | None = None
    partial_shipments: Flag | None = None
    charge_backorders_on_shipment: Flag | None = None
    max_backorder_age_days: Count | None = None
    notify_customers: Flag | None = None
    currency: str | None = None
    pick_workflow: str | None = None
    shop_name: str | None = None
    contact_email: str | None = None
    contact_phone: str | None = None


@router.get("/settings", response=SettingsOut, auth=needs("settings.view"))
def get_settings(request):
    return asdict(business_settings())


@router.patch("/settings", response=SettingsOut, auth=needs("settings.change"))
def patch_settings(request, payload: SettingsPatch):
    changes = {k: v for k, v in payload.dict(exclude_unset=True).items() if v is not None}
    return asdict(change_business_settings(changes=changes, actor_id=actor_id(request)))

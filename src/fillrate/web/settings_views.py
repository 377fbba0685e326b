"""Business settings: everyone may read them, administrators change them."""

from __future__ import annotations

from dataclasses import asdict, fields

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render

from fillrate.core.business import (
    ALLOCATION_POLICIES,
    DESCRIPTIONS,
    OVERSELL_POLICIES,
    PICK_WORKFLOWS,
    BusinessSettings,
    business_settings,
)
from fillrate.core.errors import DomainError
from fillrate.web.permissions import requires
from fillrate.web.words import plain_message
from fillrate.workflows.settings import change_business_settings

LABELS = {
    "oversell_policy": "Oversell policy",
    "allocation_policy": "Allocation policy",
    "partial_shipments": "Partial shipments",
    "charge_backorders_on_shipment": "Charge backorders on shipment",
    "max_backorder_age_days": "Maximum backorder age (days)",
    "notify_customers": "Notify customers",
    "currency": "Currency",
    "pick_workflow": "Pick workflow",
    "shop_name": "Shop name",
    "contact_email": "Contact email",
    "contact_phone": "Contact telephone",
}
CODES = ("currency",)  # short upper-case codes; other text is free text
CHOICES = {"oversell_policy": OVERSELL_POLICIES, "allocation_policy": ALLOCATION_POLICIES,
           "pick_workflow": PICK_WORKFLOWS}


def _rows(values: dict, errors: dict) -> list[dict]:
    rows = []
    for f in fields(BusinessSettings):
        kind = ("choice" if f.name in CHOICES else "number" if f.type in (int, "int")
                else "text" if f.type in (str, "str") else "bool")
        rows.append({"name": f.name, "label": LABELS.get(f.name, f.name), "kind": kind,
                     "value": values[f.name], "choices": CHOICES.get(f.name, ()),
                     "help": DESCRIPTIONS.get(f.name, ""), "error": errors.get(f.name),
                     "code": f.name in CODES})
    return rows


def _parse(post) -> tuple[dict, dict]:
    current = asdict(business_settings())
    changes, errors = {}, {}
    for name, value in current.items():
        if isinstance(value, bool):
            changes[name] = post.get(name) == "on"
        elif isinstance(value, int):
            text = post.get(name, "").strip()
            try:
                changes[name] = int(text)
            except ValueError:
                errors[name] = "Enter a whole number of days."
                changes[name] = text
        elif name in CHOICES:  # left out of the form, it stays
            changes[name] = post.get(name, value).strip()
        elif name in CODES:  # "usd" is USD; left out, it stays
            changes[name] = post.get(name, value).strip().upper()
        else:
            changes[name] = post.get(name, value).strip()
    return changes, errors


@requires("settings.view")
def settings_page(request):
    can_change = request.user.can("settings.change")
    values, errors = asdict(business_settings()), {}
    if request.method == "POST":
        if not can_change:
            raise PermissionDenied("settings.change")
        values, errors = _parse(request.POST)
        if not errors:
            try:
                change_business_settings(changes=values, actor_id=request.user.id)
            except DomainError as error:
                errors[error.field or "form"] = plain_message(error.message)
            else:
                messages.success(request, "Settings saved.")
                return redirect("web:settings")
    return render(request, "web/settings.html", {
        "rows": _rows(values, errors), "can_change": can_change, "form_error": errors.get("form"),
    })

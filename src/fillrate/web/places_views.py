"""Reference data pages: warehouses and locations, sales reps. Everyone may
read them; administrators and supervisors (`reference.manage`) add and
change them. Each view parses input, calls one service and renders; a
refused change is shown next to its field and changes nothing."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from fillrate.core.errors import DomainError
from fillrate.customers.selectors import sales_rep_by_code, sales_reps
from fillrate.customers.services import create_sales_rep, update_sales_rep
from fillrate.inventory.models import PLACE_KINDS
from fillrate.inventory.places import (
    create_location,
    create_warehouse,
    update_location,
    update_warehouse,
)
from fillrate.inventory.selectors import (
    location_in,
    locations_with_stock,
    warehouse_by_code,
    warehouses,
)
from fillrate.web.orders_views import not_found_page
from fillrate.web.permissions import requires

WAREHOUSE_FIELDS = ("code", "name")
LOCATION_FIELDS = ("warehouse", "code", "name", "kind", "pick_sequence", "zone")
REP_FIELDS = ("code", "name", "email")


def _field_error(error: DomainError, errors: dict, fields) -> None:
    errors[error.field if error.field in fields else "form"] = error.message


def _whole_number(text: str, errors: dict, field: str) -> int | None:
    try:
        return int(text)
    except ValueError:
        errors[field] = "Enter a whole number, 0 or more."
        return None


# --- warehouses and locations ----------------------------------------------------

def _locations_page(request, *, warehouse_values=None, warehouse_errors=None,
                    location_values=None, location_errors=None, status=200):
    all_warehouses = list(warehouses())
    default_warehouse = all_warehouses[0].code if len(all_warehouses) == 1 else ""
    return render(request, "web/places/locations.html", {
        "warehouses": all_warehouses,
        "locations": list(locations_with_stock()),
        "kinds": PLACE_KINDS,
        "can_manage": request.user.can("reference.manage"),
        "wv": warehouse_values or {}, "we": warehouse_errors or {},
        "lv": location_values or {"warehouse": default_warehouse, "kind": "pick"},
        "le": location_errors or {},
    }, status=status)


@requires("reference.view")
def location_list(request):
    return _locations_page(request)


@requires("reference.manage")
@require_POST
def warehouse_new(request):
    values = {k: request.POST.get(k, "").strip() for k in WAREHOUSE_FIELDS}
    errors: dict[str, str] = {}
    try:
        warehouse = create_warehouse(code=values["code"], name=values["name"],
                                     actor_id=request.user.id)
    except DomainError as error:
        _field_error(error, errors, WAREHOUSE_FIELDS)
        return _locations_page(request, warehouse_values=values, warehouse_errors=errors)
    messages.success(request, f"Warehouse {warehouse.code} added.")
    return redirect("web:locations")


@requires("reference.manage")
@require_POST
def warehouse_rename(request, code: str):
    try:
        warehouse = warehouse_by_code(code)
        update_warehouse(warehouse_id=warehouse.id,
                         changes={"name": request.POST.get("name", "")},
                         actor_id=request.user.id)
    except DomainError as error:
        if error.status == 404:
            return not_found_page(request, error)
        messages.error(request, f"{code}: {error.message}")
    else:
        messages.success(request, f"Warehouse {code} renamed.")
    return redirect("web:locations")


@requires("reference.manage")
@require_POST
def location_new(request):
    values = {k: request.POST.get(k, "").strip() for k in LOCATION_FIELDS}
    errors: dict[str, str] = {}
    sequence = _whole_number(values["pick_sequence"] or "0", errors, "pick_sequence")
    if not errors:
        try:
            warehouse = warehouse_by_code(values["warehouse"])
            location = create_location(
                warehouse_id=warehouse.id, code=values["code"], kind=values["kind"],
                pick_sequence=sequence, name=values["name"], zone=values["zone"],
                actor_id=request.user.id)
        except DomainError as error:
            _field_error(error, errors, LOCATION_FIELDS)
        else:
            messages.success(request, f"Location {location.code} added to {warehouse.code}.")
            return redirect("web:locations")
    return _locations_page(request, location_values=values, location_errors=errors)


@requires("reference.manage")
def location_edit(request, warehouse: str, code: str):
    try:
        location = location_in(warehouse, code)
    except DomainError as error:
        return not_found_page(request, error)
    values = {"name": location.name, "kind": location.kind,
              "pick_sequence": str(location.pick_sequence), "zone": location.zone,
              "active": location.active}
    errors: dict[str, str] = {}
    if request.method == "POST":
        values = {k: request.POST.get(k, "").strip()
                  for k in ("name", "kind", "pick_sequence", "zone")}
        values["active"] = request.POST.get("active") == "on"
        sequence = _whole_number(values["pick_sequence"], errors, "pick_sequence")
        if not errors:
            try:
                update_location(location_id=location.id,
                                changes={**values, "pick_sequence": sequence},
                                actor_id=request.user.id)
            except DomainError as error:
                _field_error(error, errors, values)
            else:
                messages.success(request, f"Location {code} saved.")
                return redirect("web:locations")
    return render(request, "web/places/location_edit.html", {
        "location": location, "values": values, "errors": errors,
        "kinds": PLACE_KINDS,
    })


@requires("reference.manage")
@require_POST
def location_active(request, warehouse: str, code: str):
    """Deactivate or reactivate (`active=on|off`) from the list."""
    active = request.POST.get("active") == "on"
    try:
        location = location_in(warehouse, code)
        update_location(location_id=location.id, changes={"active": active},
                        actor_id=request.user.id)
    except DomainError as error:
        if error.status == 404:
            return not_found_page(request, error)
        messages.error(request, error.message)
    else:
        messages.success(request, f"{code} is {'active' if active else 'inactive'} now.")
    return redirect("web:locations")


# --- sales reps ------------------------------------------------------------------

def _reps_page(request, *, values=None, errors=None):
    return render(request, "web/places/sales_reps.html", {
        "reps": list(sales_reps()), "can_manage": request.user.can("reference.manage"),
        "values": values or {}, "errors": errors or {},
    })


@requires("reference.view")
def sales_rep_list(request):
    return _reps_page(request)


@requires("reference.manage")
@require_POST
def sales_rep_new(request):
    values = {k: request.POST.get(k, "").strip() for k in REP_FIELDS}
    errors: dict[str, str] = {}
    try:
        rep = create_sales_rep(**values, actor_id=request.user.id)
    except DomainError as error:
        _field_error(error, errors, REP_FIELDS)
        return _reps_page(request, values=values, errors=errors)
    messages.success(request, f"Sales rep {rep.code} added.")
    return redirect("web:sales_reps")


@requires("reference.manage")
def sales_rep_edit(request, code: str):
    try:
        rep = sales_rep_by_code(code)
    except DomainError as error:
        return not_found_page(request, error)
    values = {"name": rep.name, "email": rep.email}
    errors: dict[str, str] = {}
    if request.method == "POST":
        values = {k: request.POST.get(k, "").strip() for k in ("name", "email")}
        try:
            update_sales_rep(sales_rep_id=rep.id, changes=values, actor_id=request.user.id)
        except DomainError as error:
            _field_error(error, errors, values)
        else:
            messages.success(request, f"Sales rep {code} saved.")
            return redirect("web:sales_reps")
    return render(request, "web/places/sales_rep_edit.html", {
        "rep": rep, "values": values, "errors": errors,
    })

"""Staff pages: parse input, call one service or selector, render."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse

from fillrate.catalog.selectors import product_by_sku
from fillrate.core.errors import DomainError
from fillrate.core.selectors import events_for
from fillrate.customers.selectors import customer_by_code, customers
from fillrate.inventory.selectors import (
    location_by_code,
    locations,
    product_with_stock,
    products_with_stock,
    recent_movements,
    stock_by_location,
)
from fillrate.inventory.services import adjust_stock
from fillrate.web.forms import AdjustmentForm
from fillrate.web.permissions import requires

PAGE_SIZE = 50


def _not_found(request, error: DomainError):
    return render(request, "web/not_found.html", {"message": error.message}, status=404)


@requires("catalog.view")
def product_list(request):
    search = request.GET.get("q", "").strip()
    page = Paginator(products_with_stock(search=search), PAGE_SIZE).get_page(
        request.GET.get("page"))
    context = {"page": page, "q": search}
    if request.htmx and request.htmx.target == "product-rows":
        return render(request, "web/product_list.html#rows", context)
    return render(request, "web/product_list.html", context)


@requires("catalog.view")
def product_detail(request, sku: str):
    try:
        product = product_with_stock(sku)
    except DomainError as error:
        return _not_found(request, error)
    return render(request, "web/product_detail.html", {
        "product": product,
        "levels": stock_by_location(product_id=product.id),
        "movements": recent_movements(product_id=product.id),
        "can_adjust": request.user.can("stock.adjust"),
    })


@requires("customers.view")
def customer_list(request):
    search = request.GET.get("q", "").strip()
    page = Paginator(customers(search=search), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"page": page, "q": search}
    if request.htmx and request.htmx.target == "customer-rows":
        return render(request, "web/customer_list.html#rows", context)
    return render(request, "web/customer_list.html", context)


@requires("customers.view")
def customer_detail(request, code: str):
    try:
        customer = customer_by_code(code)
    except DomainError as error:
        return _not_found(request, error)
    return render(request, "web/customer_detail.html", {
        "customer": customer,
        "events": events_for(subject_type="customer", subject=customer.code)[:20],
    })


@requires("stock.adjust")
def adjust_stock_view(request):
    choices = [(loc.code, f"{loc.code} ({loc.kind})") for loc in locations()]
    if request.method == "POST":
        form = AdjustmentForm(request.POST, location_choices=choices)
        if form.is_valid():
            data = form.cleaned_data
            try:
                product = product_by_sku(data["sku"].strip())
                location_id = (location_by_code(data["location"]).id
                               if data["location"] else None)
                result = adjust_stock(
                    product_id=product.id, location_id=location_id, quantity=data["quantity"],
                    reason=data["reason"], note=data["note"], actor_id=request.user.id,
                )
            except DomainError as error:
                form.add_error(error.field if error.field in form.fields else None,
                               error.message)
            else:
                messages.success(
                    request,
                    f"{result.sku} at {result.location}: {result.quantity:+d}, "
                    f"on hand now {result.on_hand}.",
                )
                return redirect(reverse("web:product", args=[result.sku]))
    else:
        form = AdjustmentForm(initial={"sku": request.GET.get("sku", "")},
                              location_choices=choices)
    return render(request, "web/adjust_stock.html", {"form": form})

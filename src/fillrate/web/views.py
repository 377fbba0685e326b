"""Staff pages: parse input, call one service or selector, render."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from fillrate.accounts.selectors import tokens_of
from fillrate.accounts.services import issue_token, revoke_token
from fillrate.backorders.selectors import (
    product_figures,
    products_with_figures,
    waiting_for_product,
)
from fillrate.catalog.selectors import product_by_sku
from fillrate.comms.services import preference_of
from fillrate.core.errors import DomainError
from fillrate.core.selectors import events_for
from fillrate.customers.selectors import customer_by_code, customers
from fillrate.fulfilment.overview import customer_overview
from fillrate.inventory.selectors import (
    location_for_new_stock,
    locations,
    recent_movements,
    stock_by_location,
)
from fillrate.orders.money import customer_money
from fillrate.purchasing.selectors import incoming_lines
from fillrate.web.forms import AdjustmentForm, TokenForm
from fillrate.web.permissions import requires, signed_in
from fillrate.workflows.adjust_stock import adjust_stock_and_feed

PAGE_SIZE = 50


def _not_found(request, error: DomainError):
    return render(request, "web/not_found.html", {"message": error.message}, status=404)


@requires("catalog.view")
def product_list(request):
    search = request.GET.get("q", "").strip()
    page = Paginator(products_with_figures(search=search), PAGE_SIZE).get_page(
        request.GET.get("page"))
    context = {"page": page, "q": search}
    if request.htmx and request.htmx.target == "product-rows":
        return render(request, "web/product_list.html#rows", context)
    return render(request, "web/product_list.html", context)


@requires("catalog.view")
def product_detail(request, sku: str):
    try:
        product = product_figures(sku)
    except DomainError as error:
        return _not_found(request, error)
    waiting = waiting_for_product(product.id)
    return render(request, "web/product_detail.html", {
        "product": product,
        "levels": stock_by_location(product_id=product.id),
        "movements": recent_movements(product_id=product.id),
        "waiting": waiting,
        "waiting_count": len({x.backorder_id for x in waiting}),
        "incoming": incoming_lines(product.id),
        "can_adjust": request.user.can("stock.adjust"),
        "can_manage": request.user.can("catalog.manage"),
        "dialog": True,
        "events": events_for(subject_type="product", subject=product.sku).reverse()[:20],
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
        "overview": customer_overview(customer_id=customer.id, customer_code=customer.code),
        "events": events_for(subject_type="customer", subject=customer.code).reverse()[:20],
        "money": customer_money(customer.id),
        "can_manage": request.user.can("customers.manage"),
        "notifications": preference_of(customer.id),
        "can_notify": request.user.can("notifications.manage"),
    })


def _taken_message(taken) -> str:
    """What a loss took from an order or backorder, in words."""
    whose = taken.backorder or taken.order
    outcome = {
        "reallocated": "took stock from another location",
        "backordered": f"went on backorder {taken.new_backorder}",
        "held": f"are short: {taken.order} is on hold on the oversold list",
        "waiting": "wait for stock again",
    }[taken.outcome]
    return f"{taken.quantity} {taken.sku} held for {whose} were lost and {outcome}."


@requires("stock.adjust")
def adjust_stock_view(request):
    choices = [(loc.code, f"{loc.code} ({loc.kind})") for loc in locations(active=True)]
    if request.method == "POST":
        form = AdjustmentForm(request.POST, location_choices=choices)
        if form.is_valid():
            data = form.cleaned_data
            try:
                product = product_by_sku(data["sku"].strip())
                location_id = (location_for_new_stock(data["location"]).id
                               if data["location"] else None)
                result = adjust_stock_and_feed(
                    product_id=product.id, location_id=location_id, quantity=data["quantity"],
                    reason=data["reason"], note=data["note"], actor_id=request.user.id,
                )
            except DomainError as error:
                form.add_error(error.field if error.field in form.fields else None,
                               error.message)
            else:
                fed = sum(f.quantity for f in result.allocations)
                messages.success(
                    request,
                    f"{result.sku} at {result.location}: {result.quantity:+d}, "
                    f"on hand now {result.on_hand}."
                    + (f" {fed} went to {len(result.allocations)} waiting backorder(s)."
                       if fed else ""),
                )
                for taken in result.taken:
                    messages.warning(request, _taken_message(taken))
                for reduced in result.reduced:
                    messages.warning(
                        request,
                        f"{reduced.fulfillment} carries {reduced.quantity} fewer {reduced.sku}"
                        + (" and was cancelled: nothing was left on it." if reduced.cancelled
                           else "."))
                return redirect(reverse("web:product", args=[result.sku]))
    else:
        form = AdjustmentForm(initial={"sku": request.GET.get("sku", "")},
                              location_choices=choices)
    return render(request, "web/adjust_stock.html", {"form": form, **_current_stock(form)})


def _current_stock(form: AdjustmentForm) -> dict:
    """The product being adjusted and where its stock is now, when the SKU is known."""
    sku = str(form["sku"].value() or "").strip()
    if not sku:
        return {}
    try:
        product = product_figures(sku)
    except DomainError:
        return {}
    return {"product": product, "levels": stock_by_location(product_id=product.id)}


ISSUED_TOKEN_KEY = "fillrate.issued_token"


@never_cache
@signed_in
def api_tokens(request):
    """The user's own API tokens. Creating one is a POST answered with a
    redirect (so reloading the page never creates another); the new token
    rides in the session to the next page view and is removed from it there:
    only its digest is stored, so it can never be shown again."""
    if request.method == "POST":
        form = TokenForm(request.POST)
        if form.is_valid():
            name = form.cleaned_data["name"].strip()
            try:
                issued = issue_token(username=request.user.username, name=name,
                                     actor_id=request.user.id)
            except DomainError as error:
                form.add_error(None, error.message)
            else:
                request.session[ISSUED_TOKEN_KEY] = {"token": issued.token, "name": name}
                return redirect("web:tokens")
    else:
        form = TokenForm()
    issued = request.session.pop(ISSUED_TOKEN_KEY, None) if request.method == "GET" else None
    return render(request, "web/tokens.html", {
        "form": form,
        "issued": issued,
        "issued_name": issued["name"] if issued else "",
        "tokens": tokens_of(user_id=request.user.id),
    })


@signed_in
@require_POST
def revoke_api_token(request, token_id: int):
    token = next((t for t in tokens_of(user_id=request.user.id) if t.id == token_id), None)
    if token is None:
        return render(request, "web/not_found.html",
                      {"message": f"You have no API token {token_id}."}, status=404)
    try:
        revoke_token(token_id=token.id, actor_id=request.user.id)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"Token {token.prefix}… revoked: requests using it are "
                                  "refused from now on.")
    return redirect("web:tokens")

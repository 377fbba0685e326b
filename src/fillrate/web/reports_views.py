"""The report pages and the dashboard: parse, call one selector, render
(charts as server-side SVG beside tables of the same numbers); `?format=csv`
answers the report's CSV, as the API does."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from fillrate.accounts.permissions import Role
from fillrate.backorders.models import CancelReason, CommunicationMethod
from fillrate.backorders.services import log_communication, update_backorder
from fillrate.core.errors import DomainError, InvalidValue
from fillrate.customers.selectors import customer_by_code, sales_reps
from fillrate.reports import exports, figures
from fillrate.reports.backlog import backorder_aging, backorders_by_product, timeline
from fillrate.reports.dashboard import dashboard, follow_ups_due
from fillrate.reports.fill_rate import fill_rate, period_for
from fillrate.reports.review import max_age_review
from fillrate.reports.scope import BREAKDOWNS, check_breakdown, scope_for
from fillrate.web.charts import bar_chart, column_chart
from fillrate.web.forms import parse_date
from fillrate.web.permissions import requires
from fillrate.workflows.cancel_backorder import cancel_backorder_and_feed

LANDING_ROLES = (Role.ADMINISTRATOR, Role.SUPERVISOR)
BREAKDOWN_LABELS = {"customer": "Customer", "product": "Product", "sales_rep": "Sales rep"}
PRODUCT_PAGE_ROWS = 200


def home(request):
    """Supervisors and administrators land on the dashboard, everyone else
    on the products; the signed-out log in first and then land by role."""
    user = request.user
    if not user.is_authenticated:
        return redirect_to_login(reverse("web:home"))
    if user.role in LANDING_ROLES:
        return redirect("web:dashboard")
    return redirect("web:products")


def backorders_url(**params) -> str:
    query = urlencode({k: v for k, v in params.items() if v not in (None, "")})
    return reverse("web:backorders") + (f"?{query}" if query else "")


def _scope_params(request) -> dict[str, str]:
    return {k: request.GET.get(k, "").strip() for k in ("customer", "sales_rep")}


def _csv(text: str, filename: str) -> HttpResponse:
    response = HttpResponse(text, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _error_page(request, template: str, error: DomainError, context: dict):
    return render(request, template, {**context, "error": error.message,
                                      "error_field": error.field}, status=error.status)


def _aging_chart(aging, *, title: str, scope: dict, **list_filters):
    return bar_chart(title, [
        (b.label, aging.buckets[b.key].backorders,
         f"{aging.buckets[b.key].backorders} · {aging.buckets[b.key].value:,.2f}",
         backorders_url(age=b.key, **scope, **list_filters))
        for b in figures.AGE_BUCKETS])


EXPECTED_LINK = {"overdue": "overdue", "this_week": "this_week", "next_week": "next_week",
                 "this_month": "later", "later": "later", "none": "none"}


def _timeline_context(t, scope: dict) -> dict:
    chart = column_chart("Waiting backorder units against incoming purchase-order units, "
                         "week by week", ("Backorder units waiting", "Incoming units"),
                         [(w.strftime("%d %b"), [c.waiting_units, c.incoming_units])
                          for w, c in t.weeks])
    rows = [(key, label, t.buckets[key], backorders_url(
        expected=EXPECTED_LINK[key], status="active", **scope))
        for key, label in figures.TIMELINE_BUCKETS]
    return {"timeline": t, "timeline_chart": chart, "timeline_rows": rows}


@requires("backorders.view")
def dashboard_page(request):
    d = dashboard()
    top = bar_chart("Products with the most value waiting", [
        (r.sku, r.value, f"{r.value:,.2f}", backorders_url(sku=r.sku, status="active"))
        for r in d.top_products])
    return render(request, "web/reports/dashboard.html", {
        "d": d, "overdue": d.timeline.buckets["overdue"],
        "aging_chart": _aging_chart(d.aging, title="Open backorders by age", scope={}),
        "top_chart": top, "fill_rows": _fill_comparison(d.fill_rate, d.fill_rate_before),
        "aging_rows": [(b, d.aging.buckets[b.key], backorders_url(age=b.key))
                       for b in figures.AGE_BUCKETS],
        "all_url": backorders_url(status="active"),
        **_timeline_context(d.timeline, {}),
    })


def _fill_comparison(now, before) -> list[tuple[str, object, object, bool]]:
    """(figure, this period, the one before, is a ratio) for the dashboard."""
    a, b = now.total, before.total
    return [
        ("Unit fill rate", a.unit_fill_rate, b.unit_fill_rate, True),
        ("Line fill rate", a.line_fill_rate, b.line_fill_rate, True),
        ("Order fill rate", a.order_fill_rate, b.order_fill_rate, True),
        ("Backorder rate", a.backorder_rate, b.backorder_rate, True),
        ("Average days to fill", a.avg_days_to_fill, b.avg_days_to_fill, False),
        ("90th percentile days to fill", a.p90_days_to_fill, b.p90_days_to_fill, False),
        ("Orders counted", a.orders, b.orders, False),
    ]


@requires("backorders.view")
def reports_index(request):
    return render(request, "web/reports/index.html", {"reps": sales_reps()})


def _common(request, scope_params: dict) -> dict:
    return {"scope": scope_params, "reps": sales_reps(),
            "scope_query": urlencode({k: v for k, v in scope_params.items() if v})}


@requires("backorders.view")
def aging_page(request):
    params = _scope_params(request)
    by = request.GET.get("by", "").strip()
    context = {**_common(request, params), "by": by,
               "breakdowns": [(k, BREAKDOWN_LABELS[k]) for k in BREAKDOWNS],
               "buckets": figures.AGE_BUCKETS}
    try:
        report = backorder_aging(by=check_breakdown(by), scope=scope_for(**params))
    except DomainError as error:
        return _error_page(request, "web/reports/aging.html", error, context)
    if request.GET.get("format") == "csv":
        return _csv(exports.aging_csv(report), "backorder-aging.csv")
    scope = {k: v for k, v in params.items() if v}
    groups = []
    for g in report.groups:
        key = {"customer": "customer", "product": "sku", "sales_rep": "sales_rep"}[by]
        link = {key: g.code} if g.code else {}
        groups.append((g, [(g.buckets[b.key], backorders_url(age=b.key, **scope, **link))
                           for b in figures.AGE_BUCKETS],
                       backorders_url(status="active", **scope, **link)))
    return render(request, "web/reports/aging.html", {
        **context, "report": report, "by_label": BREAKDOWN_LABELS.get(report.by),
        "chart": _aging_chart(report, title="Open backorders by age", scope=scope),
        "bucket_rows": [(b, report.buckets[b.key], backorders_url(age=b.key, **scope))
                        for b in figures.AGE_BUCKETS],
        "groups": groups, "all_url": backorders_url(status="active", **scope),
    })


@requires("backorders.view")
def by_product_page(request):
    params = _scope_params(request)
    ordering = request.GET.get("ordering", "").strip() or "value"
    context = {**_common(request, params), "ordering": ordering,
               "orderings": [("value", "Value"), ("units", "Units"),
                             ("shortfall", "Shortfall"), ("oldest", "Oldest"), ("sku", "SKU")]}
    try:
        rows = backorders_by_product(scope=scope_for(**params), ordering=ordering)
    except DomainError as error:
        return _error_page(request, "web/reports/by_product.html", error, context)
    if request.GET.get("format") == "csv":
        return _csv(exports.products_csv(rows), "backorders-by-product.csv")
    scope = {k: v for k, v in params.items() if v}
    return render(request, "web/reports/by_product.html", {
        **context, "count": len(rows),
        "rows": [(r, backorders_url(sku=r.sku, status="active", **scope))
                 for r in rows[:PRODUCT_PAGE_ROWS]],
        "truncated": len(rows) > PRODUCT_PAGE_ROWS, "page_rows": PRODUCT_PAGE_ROWS,
    })


@requires("backorders.view")
def timeline_page(request):
    params = _scope_params(request)
    context = _common(request, params)
    try:
        t = timeline(scope=scope_for(**params))
    except DomainError as error:
        return _error_page(request, "web/reports/timeline.html", error, context)
    if request.GET.get("format") == "csv":
        return _csv(exports.timeline_csv(t), "timeline.csv")
    scope = {k: v for k, v in params.items() if v}
    return render(request, "web/reports/timeline.html", {
        **context, **_timeline_context(t, scope)})


@requires("backorders.view")
def fill_rate_page(request):
    params = _scope_params(request)
    raw = {k: request.GET.get(k, "").strip() for k in ("from", "to", "by")}
    context = {**_common(request, params), "raw": raw,
               "breakdowns": [(k, BREAKDOWN_LABELS[k]) for k in BREAKDOWNS]}
    try:
        start, end = _date(raw["from"], "from"), _date(raw["to"], "to")
        report = fill_rate(period=period_for(start=start, end=end),
                           by=check_breakdown(raw["by"]), scope=scope_for(**params))
    except DomainError as error:
        return _error_page(request, "web/reports/fill_rate.html", error, context)
    if request.GET.get("format") == "csv":
        return _csv(exports.fill_rate_csv(report), "fill-rate.csv")
    return render(request, "web/reports/fill_rate.html", {
        **context, "report": report, "by_label": BREAKDOWN_LABELS.get(report.by),
        "reason_labels": dict(CancelReason.choices)})


def _date(text: str, field: str):
    try:
        return parse_date(text)
    except ValueError:
        raise InvalidValue("reports.invalid_date", f"{field} is a date like 2026-12-31",
                           field=field) from None


def _scoped_page(request, *, title: str, subtitle: str, scope_params: dict):
    scope = scope_for(**scope_params)
    report = fill_rate(period=period_for(), scope=scope)
    aging = backorder_aging(scope=scope)
    link = {k: v for k, v in scope_params.items() if v}
    return render(request, "web/reports/scoped.html", {
        "title": title, "subtitle": subtitle, "aging": aging, "fill": report,
        "link": link, "scope_query": urlencode(link),
        "aging_chart": _aging_chart(aging, title=f"Open backorders of {title} by age",
                                    scope=link),
        "all_url": backorders_url(status="active", **link),
        "overdue_url": backorders_url(expected="overdue", **link),
        **_timeline_context(timeline(scope=scope), link),
    })


@requires("backorders.view")
def sales_rep_page(request, code: str):
    rep = next((r for r in sales_reps() if r.code == code), None)
    if rep is None:
        return render(request, "web/not_found.html", {"message": f"No sales rep {code}."},
                      status=404)
    return _scoped_page(request, title=rep.name, subtitle=f"Sales rep {rep.code}: "
                        "backorders and fill rate of the rep's customers",
                        scope_params={"sales_rep": code})


@requires("backorders.view")
def customer_page(request, code: str):
    try:
        customer = customer_by_code(code)
    except DomainError as error:
        return render(request, "web/not_found.html", {"message": error.message}, status=404)
    return _scoped_page(request, title=customer.name,
                        subtitle=f"Customer {customer.code}: backorders and fill rate",
                        scope_params={"customer": code})


@requires("backorders.view")
def follow_ups_page(request):
    rows = list(follow_ups_due()[:500])
    return render(request, "web/reports/follow_ups.html", {"rows": rows})


@requires("backorders.view")
def max_age_page(request):
    review = max_age_review()
    return render(request, "web/reports/max_age.html", {
        "review": review, "can_manage": request.user.can("backorders.manage"),
        "methods": CommunicationMethod.choices, "today": timezone.localdate()})


def _review_action(request, number: str, act) -> HttpResponse:
    try:
        message = act()
    except DomainError as error:
        messages.error(request, f"{number}: {error.message}")
    else:
        messages.success(request, f"{number}: {message}")
    return redirect("web:report_max_age")


@require_POST
@requires("backorders.manage")
def max_age_contact(request, number: str):
    def act():
        follow_up = _date(request.POST.get("next_follow_up", "").strip(), "next_follow_up")
        log_communication(number=number, method=request.POST.get("method", "").strip(),
                          summary=request.POST.get("summary", ""), next_follow_up=follow_up,
                          actor_id=request.user.id)
        return "contact logged."
    return _review_action(request, number, act)


@require_POST
@requires("backorders.manage")
def max_age_redate(request, number: str):
    def act():
        day = _date(request.POST.get("expected_date", "").strip(), "expected_date")
        if day is None:
            raise InvalidValue("reports.invalid_date", "choose the new expected date",
                               field="expected_date")
        update_backorder(number=number, changes={"expected_date": day},
                         actor_id=request.user.id)
        return f"expected on {day.isoformat()}."
    return _review_action(request, number, act)


@require_POST
@requires("backorders.manage")
def max_age_cancel(request, number: str):
    def act():
        cancel_backorder_and_feed(number=number, reason=CancelReason.EXCESSIVE_DELAY,
                                  notes=request.POST.get("notes", "").strip(),
                                  actor_id=request.user.id)
        return "cancelled for excessive delay."
    return _review_action(request, number, act)

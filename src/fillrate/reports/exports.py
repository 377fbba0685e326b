"""The reports as plain data (what the API answers) and as CSV (one header
row, then rows; text cells that start like a formula get a leading `'`)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from decimal import Decimal

from fillrate.backorders.models import CancelReason
from fillrate.reports import figures
from fillrate.reports.backlog import Aging, Cell, ProductRow, Timeline, TimelineCell
from fillrate.reports.fill_rate import FillRate, FillRateReport

BUCKET_LABELS = {b.key: b.label for b in figures.AGE_BUCKETS}
TIMELINE_LABELS = dict(figures.TIMELINE_BUCKETS)


def _text(value: str) -> str:
    return f"'{value}" if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def _csv(header: Sequence[str], rows: Iterable[Sequence]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([_text(v) if isinstance(v, str) else ("" if v is None else v)
                         for v in row])
    return out.getvalue()


# -- aging ------------------------------------------------------------------

def _cells(buckets: dict[str, Cell]) -> list[dict]:
    return [{"bucket": k, "label": BUCKET_LABELS[k], **c.as_dict()} for k, c in buckets.items()]


def aging_data(aging: Aging) -> dict:
    return {
        "as_of": aging.as_of, "by": aging.by, "buckets": _cells(aging.buckets),
        "total": aging.total.as_dict(),
        "groups": [{"code": g.code, "name": g.name, "buckets": _cells(g.buckets),
                    "total": g.total.as_dict()} for g in aging.groups],
    }


AGING_CSV = ("by", "code", "name", "bucket", "backorders", "units", "value")


def aging_csv(aging: Aging) -> str:
    """Long format: each bucket then `total`, for all backorders (`by` and
    `code` empty) and then for each group of the breakdown."""
    def rows(by, code, name, buckets, total):
        for k, c in buckets.items():
            yield (by, code, name, k, c.backorders, c.units, f"{c.value:.2f}")
        yield (by, code, name, "total", total.backorders, total.units, f"{total.value:.2f}")

    def all_rows():
        yield from rows("", "", "All open backorders", aging.buckets, aging.total)
        for g in aging.groups:
            yield from rows(aging.by, g.code, g.name, g.buckets, g.total)

    return _csv(AGING_CSV, all_rows())


# -- by product -------------------------------------------------------------

PRODUCT_CSV = ("sku", "name", "open_units", "waiting_units", "backorders", "customers",
               "value", "on_hand", "available", "incoming", "earliest_receipt", "shortfall",
               "oldest_age_days")


def product_data(row: ProductRow) -> dict:
    return {name: getattr(row, name) for name in PRODUCT_CSV}


def products_csv(rows: Iterable[ProductRow]) -> str:
    return _csv(PRODUCT_CSV, (
        (r.sku, r.name, r.open_units, r.waiting_units, r.backorders, r.customers,
         f"{r.value:.2f}", r.on_hand, r.available, r.incoming,
         r.earliest_receipt.isoformat() if r.earliest_receipt else None, r.shortfall,
         r.oldest_age_days) for r in rows))


# -- timeline ---------------------------------------------------------------

def timeline_data(t: Timeline) -> dict:
    return {
        "today": t.today,
        "buckets": [{"bucket": k, "label": TIMELINE_LABELS[k], **c.as_dict()}
                    for k, c in t.buckets.items()],
        "weeks": [{"week_start": w, **c.as_dict()} for w, c in t.weeks],
    }


TIMELINE_CSV = ("section", "key", "backorders", "open_units", "waiting_units", "value",
                "incoming_units")


def timeline_csv(t: Timeline) -> str:
    def row(section, key, c: TimelineCell):
        return (section, key, c.backorders, c.open_units, c.waiting_units, f"{c.value:.2f}",
                c.incoming_units)

    return _csv(TIMELINE_CSV, [
        *(row("bucket", k, c) for k, c in t.buckets.items()),
        *(row("week", w.isoformat(), c) for w, c in t.weeks)])


# -- fill rate --------------------------------------------------------------

def fill_rate_figures(f: FillRate) -> dict:
    return {
        "orders": f.orders, "orders_complete": f.orders_complete,
        "orders_backordered": f.orders_backordered, "lines": f.lines,
        "lines_complete": f.lines_complete, "units_ordered": f.units_ordered,
        "units_first_shipment": f.units_first_shipment,
        "unit_fill_rate": f.unit_fill_rate, "line_fill_rate": f.line_fill_rate,
        "order_fill_rate": f.order_fill_rate, "backorder_rate": f.backorder_rate,
        "days_to_fill": {"backorder_lines": f.backorder_lines_filled,
                         "average": f.avg_days_to_fill, "p90": f.p90_days_to_fill},
        "cancellations": [{"reason": r, **f.cancellations[r]}
                          for r in CancelReason.values if r in f.cancellations],
    }


def fill_rate_data(report: FillRateReport) -> dict:
    return {
        "from": report.period.start, "to": report.period.end, "by": report.by,
        "pending_orders": report.pending_orders, "total": fill_rate_figures(report.total),
        "groups": [{"code": g.code, "name": g.name, **fill_rate_figures(g)}
                   for g in report.groups],
    }


FILL_RATE_CSV = ("by", "code", "name", "orders", "orders_complete", "orders_backordered",
                 "lines", "lines_complete", "units_ordered", "units_first_shipment",
                 "unit_fill_rate", "line_fill_rate", "order_fill_rate", "backorder_rate",
                 "backorder_lines_filled", "avg_days_to_fill", "p90_days_to_fill",
                 *(f"cancelled_{r}" for r in CancelReason.values))


def fill_rate_csv(report: FillRateReport) -> str:
    def row(by, f: FillRate, code, name):
        return (by, code, name, f.orders, f.orders_complete, f.orders_backordered, f.lines,
                f.lines_complete, f.units_ordered, f.units_first_shipment, f.unit_fill_rate,
                f.line_fill_rate, f.order_fill_rate, f.backorder_rate,
                f.backorder_lines_filled, f.avg_days_to_fill, f.p90_days_to_fill,
                *(f.cancellations.get(r, {}).get("backorders", 0) for r in CancelReason.values))

    return _csv(FILL_RATE_CSV, [
        row("", report.total, "", "All orders"),
        *(row(report.by, g, g.code, g.name) for g in report.groups)])


# -- max-age review and reorder suggestions ---------------------------------

REVIEW_CSV = ("number", "customer", "created_at", "age_days", "open_quantity", "value",
              "expected_date", "incoming", "next_receipt", "last_contact_at",
              "last_contact_method", "last_contact_summary")


def review_data(r) -> dict:
    b, c = r.backorder, r.last_contact
    return {"number": b.number, "customer": b.customer.code, "created_at": b.created_at,
            "age_days": r.age_days, "open_quantity": b.open_quantity,
            "value": Decimal(str(b.value)).quantize(Decimal("0.01")),
            "expected_date": b.expected_date, "incoming": r.incoming,
            "next_receipt": r.next_receipt,
            "last_contact_at": c.created_at if c else None,
            "last_contact_method": c.method if c else None,
            "last_contact_summary": c.summary if c else None}


def review_csv(rows: list[dict]) -> str:
    return _csv(REVIEW_CSV, ([_cell(row[k]) for k in REVIEW_CSV] for row in rows))


SUGGESTION_CSV = ("supplier", "sku", "name", "waiting", "reorder_point", "available",
                  "incoming", "suggested")


def suggestion_rows(groups) -> list[dict]:
    return [{"supplier": g.code or None, "sku": r.sku, "name": r.name, "waiting": r.waiting,
             "reorder_point": r.reorder_point, "available": r.available,
             "incoming": r.incoming, "suggested": r.suggested}
            for g in groups for r in g.rows]


def suggestions_csv(rows: list[dict]) -> str:
    return _csv(SUGGESTION_CSV, ([_cell(row[k]) for k in SUGGESTION_CSV] for row in rows))


def _cell(value):
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value

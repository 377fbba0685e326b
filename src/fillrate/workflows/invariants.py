"""Checks of the quantity invariants over the whole database (DESIGN.md 1-3),
and of the promises derived from them.

Used by `fillrate check`, by the tests after every service test, and by the
benchmarks after a run. Each returns a list of human-readable problems.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from django.db.models import (
    DecimalField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce

from fillrate.backorders import lifecycle, promises
from fillrate.backorders.models import Backorder, BackorderLine, Promise, waiting_units
from fillrate.backorders.ranking import rank_waiting_lines
from fillrate.backorders.totals import totals_problems
from fillrate.core.business import business_settings
from fillrate.inventory.models import SELLABLE_KINDS, StockLevel
from fillrate.inventory.selectors import ledger_mismatches
from fillrate.orders.models import (
    Allocation,
    Credit,
    OrderLine,
    OrderStatus,
    Refund,
    SalesOrder,
)
from fillrate.reports.outcomes import outcome_problems


def stock_problems() -> list[str]:
    """Invariant 1, and every stock level's allocated = its allocation rows."""
    out = [f"stock level {lv.id}: on hand {lv.on_hand}, allocated {lv.allocated}"
           for lv in StockLevel.objects.filter(
               Q(on_hand__lt=0) | Q(allocated__lt=0) | Q(allocated__gt=F("on_hand")))]
    held = dict(Allocation.objects.values("stock_level_id").annotate(n=Sum("quantity"))
                .values_list("stock_level_id", "n"))
    for level_id, allocated in StockLevel.objects.filter(
            Q(allocated__gt=0) | Q(id__in=held.keys())).values_list("id", "allocated"):
        if held.get(level_id, 0) != allocated:
            out.append(f"stock level {level_id}: allocated {allocated}, allocation rows hold "
                       f"{held.get(level_id, 0)}")
    out += [f"ledger: {m.sku} at {m.location}: on hand {m.on_hand}, movements {m.ledger}"
            for m in ledger_mismatches()]
    # Allocation rows carry no database foreign keys (see the model).
    out += [f"allocation {a}: order line {line} or stock level {level} does not exist"
            for a, line, level in Allocation.objects.filter(
                ~Exists(OrderLine.objects.filter(id=OuterRef("order_line_id")))
                | ~Exists(StockLevel.objects.filter(id=OuterRef("stock_level_id"))))
            .values_list("id", "order_line_id", "stock_level_id")]
    return out


def unit_problems() -> list[str]:
    """Invariant 2: every unit of every order line is in exactly one bucket,
    and the buckets agree with the allocation rows and backorder lines: a
    line's allocation rows hold its own `allocated` units plus what its
    backorders hold; its `backordered` units are its backorders' open units
    (waiting or held)."""
    out: list[str] = []
    held = dict(Allocation.objects.values("order_line_id").annotate(n=Sum("quantity"))
                .values_list("order_line_id", "n"))
    bo: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for row in BackorderLine.objects.values("order_line_id", "backorder__status").annotate(
            q=Sum("quantity"), a=Sum("allocated"), f=Sum("fulfilled"), c=Sum("cancelled")):
        b = bo[row["order_line_id"]]
        waiting = row["q"] - row["a"] - row["f"] - row["c"]
        b["waiting"] += waiting
        b["allocated"] += row["a"]
        if row["backorder__status"] not in lifecycle.ACTIVE and (waiting or row["a"]):
            out.append(f"order line {row['order_line_id']}: a {row['backorder__status']} "
                       f"backorder still holds {waiting} waiting and {row['a']} allocated units")
    for line in OrderLine.objects.select_related("order").iterator(chunk_size=2000):
        buckets = line.allocated + line.shipped + line.backordered + line.cancelled
        if buckets > line.quantity or min(line.allocated, line.shipped, line.backordered,
                                          line.cancelled) < 0:
            out.append(f"order line {line.id}: buckets {buckets} for quantity {line.quantity}")
        if line.unallocated and line.order.status != OrderStatus.ON_HOLD:
            out.append(f"order line {line.id}: {line.unallocated} units in no bucket while "
                       f"the order is {line.order.status}")
        b = bo.get(line.id, {})
        if held.get(line.id, 0) != line.allocated + b.get("allocated", 0):
            out.append(f"order line {line.id}: allocated {line.allocated} and "
                       f"{b.get('allocated', 0)} held by backorders, allocation rows "
                       f"hold {held.get(line.id, 0)}")
        if b.get("waiting", 0) + b.get("allocated", 0) != line.backordered:
            out.append(f"order line {line.id}: backordered {line.backordered}, backorder "
                       f"lines wait for {b.get('waiting', 0)} and hold {b.get('allocated', 0)}")
    for backorder in Backorder.objects.prefetch_related("lines"):
        lines = list(backorder.lines.all())
        derived = lifecycle.derive_status(
            lifecycle.LineQuantities(x.quantity, x.allocated, x.fulfilled, x.cancelled)
            for x in lines)
        if backorder.status != derived and not (backorder.status == lifecycle.CANCELLED
                                                and derived == lifecycle.COMPLETE):
            out.append(f"{backorder.number}: status {backorder.status}, lines say {derived}")
    return out


def waiting_problems() -> list[str]:
    """Invariant 3: no free sellable stock of a product while a backorder
    line for it waits (free stock goes to waiting backorders first).

    A split by hand (`backorder_order_lines`) hands the stock it releases to
    other orders' waiting backorders, not to the order's own (that would undo
    the split): the waiting lines of an order with a backorder split off by
    hand are left out until the next feed of that product takes up the free
    stock."""
    split = Backorder.objects.filter(split_by_hand=True, status__in=lifecycle.ACTIVE)
    waiting = dict(
        BackorderLine.objects.filter(backorder__status__in=lifecycle.ACTIVE)
        .exclude(backorder__order_id__in=split.values("order_id"))
        .annotate(w=waiting_units())
        .filter(w__gt=0).values("product_id").annotate(n=Sum("w"))
        .values_list("product_id", "n"))
    if not waiting:
        return []
    free = (StockLevel.objects.filter(product_id__in=waiting.keys(),
                                      location__kind__in=SELLABLE_KINDS)
            .values("product_id").annotate(n=Sum(F("on_hand") - F("allocated")))
            .filter(n__gt=0).values_list("product_id", "product__sku", "n"))
    return [f"{sku}: {n} units free while backorder lines wait for {waiting[pid]}"
            for pid, sku, n in free]


def promise_problems() -> list[str]:
    """Promises are what the policy gives for today's waiting lines and open
    supply (`plan_promises`), each waiting line's promised date follows from
    them, and each waiting backorder's date from its lines' (unless set by
    hand)."""
    products = promises.supplied_products()
    if not products:
        return []
    lines = promises.waiting_lines(products)
    ranked = rank_waiting_lines([w for w, _ in lines],
                                policy=business_settings().allocation_policy)
    planned = promises.plan_promises(ranked, promises.open_supply(products))
    want = {(p.line_id, p.purchase_order_line_id): (p.quantity, p.expected_date)
            for p in planned}
    have = {(line, po_line): (qty, date) for line, po_line, qty, date in
            Promise.objects.values_list("backorder_line_id", "purchase_order_line_id",
                                        "quantity", "expected_date")}
    out = [f"promise of line {line} on purchase-order line {po_line}: stored "
           f"{have.get((line, po_line))}, the plan says {want.get((line, po_line))}"
           for line, po_line in sorted(set(want) | set(have))
           if want.get((line, po_line)) != have.get((line, po_line))]
    by_line: dict[int, list] = defaultdict(list)
    for p in planned:
        by_line[p.line_id].append(p)
    out += [f"backorder line {w.line_id}: promised date {stored}, its promises say {due}"
            for w, stored in lines
            if (due := promises.line_date(w.waiting, by_line.get(w.line_id, ()))) != stored]
    line_dates: dict[int, list] = defaultdict(list)
    for backorder_id, date in BackorderLine.objects.filter(
            backorder_id__in={w.backorder_id for w, _ in lines}).annotate(
            w=waiting_units()).filter(
            w__gt=0).values_list("backorder_id", "promised_date"):
        line_dates[backorder_id].append(date)
    out += [f"{b.number}: expected {b.expected_date}, its waiting lines say {due}"
            for b in Backorder.objects.filter(id__in=list(line_dates),
                                              expected_date_manual=False)
            .only("id", "expected_date")
            if (due := promises.backorder_date(line_dates[b.id])) != b.expected_date]
    return out


def money_problems() -> list[str]:
    """Money owed back (`fillrate.orders.money`): for every paid order, the
    credits are no more than was paid, the refunds no more than the credits,
    and nothing paid is left uncredited beyond the value of the units still
    coming (a cancel path that forgot `credit_overpayment` shows here)."""
    money = DecimalField(max_digits=14, decimal_places=2)

    def total(model, expression):
        rows = model.objects.filter(order_id=OuterRef("pk")).values("order_id").annotate(
            n=Sum(expression, output_field=money)).values("n")[:1]
        return Coalesce(Subquery(rows, output_field=money), Value(0), output_field=money)

    kept = ExpressionWrapper(F("unit_price") * (F("quantity") - F("cancelled")),
                             output_field=money)
    rows = (SalesOrder.objects.filter(amount_paid__gt=0)
            .annotate(credited=total(Credit, F("amount")), refunded=total(Refund, F("amount")),
                      kept=total(OrderLine, kept))
            .filter(Q(credited__gt=F("amount_paid")) | Q(refunded__gt=F("credited"))
                    | Q(amount_paid__gt=F("credited") + F("kept")))
            .values_list("id", "amount_paid", "credited", "refunded", "kept"))
    def two(x) -> str:  # SQLite sums decimals as floats
        return f"{Decimal(str(x)):.2f}"

    return [f"{SalesOrder(pk=pk).number}: paid {two(paid)}, credited {two(credited)}, "
            f"refunded {two(refunded)}, units still coming worth {two(kept)}"
            for pk, paid, credited, refunded, kept in rows]


def all_problems() -> list[str]:
    return (stock_problems() + unit_problems() + waiting_problems() + promise_problems()
            + money_problems() + totals_problems() + outcome_problems())

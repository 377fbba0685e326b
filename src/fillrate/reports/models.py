"""What the fill-rate report reads: each order's first-shipment outcome,
kept by `reports.outcomes` (never written by other code).

Ids are plain integers, not foreign keys: these rows are derived from the
orders, and deleting an order deletes them through the same marks that keep
them (`outcomes`), not through the ORM's cascade.
"""

from __future__ import annotations

from django.db import models

_ORDER_FIGURES = ["customer_id", "lines", "units", "first_units", "lines_complete",
                  "complete", "backordered", "counted", "cancelled"]


class OrderOutcome(models.Model):
    """One order: its lines, units, what of its own its first shipment
    carried, and whether the outcome is known yet (`counted`)."""

    order_id = models.BigIntegerField(primary_key=True)
    customer_id = models.BigIntegerField()
    created_at = models.DateTimeField()
    lines = models.IntegerField()
    units = models.IntegerField()
    first_units = models.IntegerField()
    lines_complete = models.IntegerField()
    complete = models.SmallIntegerField()
    backordered = models.SmallIntegerField()
    counted = models.SmallIntegerField()
    cancelled = models.SmallIntegerField()

    class Meta:
        indexes = [models.Index(fields=["created_at"], include=_ORDER_FIGURES,
                                name="outcome_by_created")]

    def __str__(self) -> str:
        return f"order {self.order_id}: {self.first_units} of {self.units} units first time"


class LineOutcome(models.Model):
    """One order line, with its order's outcome (`order_complete`,
    `backordered`, `counted`) beside it: the per-product breakdown reads
    only these rows."""

    order_line_id = models.BigIntegerField(primary_key=True)
    order_id = models.BigIntegerField(db_index=True)
    product_id = models.BigIntegerField()
    customer_id = models.BigIntegerField()
    created_at = models.DateTimeField()
    quantity = models.IntegerField()
    first_units = models.IntegerField()
    order_complete = models.SmallIntegerField()
    backordered = models.SmallIntegerField()
    counted = models.SmallIntegerField()
    cancelled = models.SmallIntegerField()

    class Meta:
        indexes = [models.Index(fields=["created_at"],
                                include=["product_id", "customer_id", "quantity", "first_units",
                                         "order_complete", "backordered", "counted"],
                                name="line_outcome_by_created")]

    def __str__(self) -> str:
        return f"order line {self.order_line_id}: {self.first_units} of {self.quantity}"


class OutcomeMark(models.Model):
    """An order whose outcome rows may be out of date: appended by database
    triggers in the statement that changed the order, its lines, its
    fulfillments or its backorders (an order may be marked many times);
    `outcomes.refresh` recomputes the marked orders and deletes the marks
    it read. Append-only, so marking takes no lock another writer waits on."""

    id = models.BigAutoField(primary_key=True)
    order_id = models.BigIntegerField()

    def __str__(self) -> str:
        return f"order {self.order_id} changed"


class FilledLine(models.Model):
    """A backorder line filled (nothing of it left open, some of it
    dispatched): when its last unit was dispatched, beside its backorder's
    creation, for days to fill. Kept with the outcomes (`outcomes`)."""

    backorder_line_id = models.BigIntegerField(primary_key=True)
    order_id = models.BigIntegerField(db_index=True)
    product_id = models.BigIntegerField()
    customer_id = models.BigIntegerField()
    created_at = models.DateTimeField()
    filled_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["filled_at"],
                                include=["product_id", "customer_id", "created_at"],
                                name="filled_line_by_filled")]

    def __str__(self) -> str:
        return f"backorder line {self.backorder_line_id} filled {self.filled_at:%Y-%m-%d}"

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from fillrate.catalog.models import Product
from fillrate.core.numbers import format_number
from fillrate.customers.models import Customer
from fillrate.inventory.models import StockLevel
from fillrate.orders import status


class OrderStatus(models.TextChoices):
    OPEN = status.OPEN
    PARTIALLY_FULFILLED = status.PARTIALLY_FULFILLED
    AWAITING_BACKORDER = status.AWAITING_BACKORDER
    FULFILLED = status.FULFILLED
    ON_HOLD = status.ON_HOLD
    CANCELLED = status.CANCELLED


class PaymentStatus(models.TextChoices):
    UNPAID = "unpaid"
    PAID = "paid"


class SalesOrder(models.Model):
    PREFIX = "SO"

    # Indexed by (customer, -id) below.
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="orders",
                                 db_index=False)
    reference = models.CharField(max_length=100, blank=True)
    status = models.CharField(max_length=24, choices=OrderStatus.choices,
                              default=OrderStatus.OPEN)
    # Ship only when every line is complete (partial_shipments off at placement,
    # or an oversold order released to wait as a whole).
    ship_complete = models.BooleanField(default=False)
    picking_started_at = models.DateTimeField(null=True, blank=True)
    amount_paid = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    placed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        # No index names `status`: a status change (thousands at a time when a
        # receipt feeds backorders) then updates the row in place without
        # touching any index (a HOT update); lists filter by status while they
        # walk the id order.
        indexes = [models.Index(fields=["customer", "-id"])]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=OrderStatus.values),
                                   name="order_status_known"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def number(self) -> str:
        return format_number(self.PREFIX, self.pk)


class OrderLine(models.Model):
    """Every unit is in exactly one bucket (invariant 2):
    quantity = allocated + shipped + backordered + cancelled + unallocated,
    where `allocated` counts units held for the line itself (at placement,
    when an oversold order is resolved), `backordered` the units on its open
    backorders until they ship -- waiting or already held for the backorder
    (the backorder line says which) -- and unallocated units exist only while
    the order is on hold. A line's allocation rows hold its own allocated
    units and what its backorders hold."""

    order = models.ForeignKey(SalesOrder, on_delete=models.CASCADE, related_name="lines")
    line_no = models.PositiveSmallIntegerField()
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="order_lines")
    quantity = models.IntegerField()
    unit_price = models.DecimalField(max_digits=12, decimal_places=2)
    allocated = models.IntegerField(default=0)
    shipped = models.IntegerField(default=0)
    backordered = models.IntegerField(default=0)
    cancelled = models.IntegerField(default=0)

    class Meta:
        ordering = ["order_id", "line_no"]
        constraints = [
            models.UniqueConstraint(fields=["order", "line_no"], name="order_line_no_unique"),
            models.CheckConstraint(condition=Q(quantity__gt=0),
                                   name="order_line_quantity_positive"),
            models.CheckConstraint(
                condition=Q(allocated__gte=0, shipped__gte=0, backordered__gte=0,
                            cancelled__gte=0),
                name="order_line_buckets_not_negative"),
            models.CheckConstraint(
                condition=Q(quantity__gte=F("allocated") + F("shipped") + F("backordered")
                            + F("cancelled")),
                name="order_line_buckets_within_quantity"),
            models.CheckConstraint(condition=Q(unit_price__gte=0),
                                   name="order_line_price_not_negative"),
        ]
        indexes = [models.Index(fields=["product"])]

    def __str__(self) -> str:
        return f"{self.order_id}/{self.line_no}"

    @property
    def unallocated(self) -> int:
        return self.quantity - self.allocated - self.shipped - self.backordered - self.cancelled


class Allocation(models.Model):
    """Stock held at one stock level for one order line: for the line's own
    `allocated` units and for what its backorder lines hold (their
    `allocated`), together."""

    # No database foreign keys: a receipt that feeds 25,000 backorder lines
    # writes 25,000 allocation rows, and PostgreSQL's per-row checks of two
    # foreign keys (each locking the parent row at commit) were half a second
    # of it. Rows are only written by the locking use cases with ids of rows
    # they hold locked; `fillrate check` (invariants.stock_problems) reports
    # any row whose line or stock level does not exist. Django still cascades
    # and protects. The order line is indexed by the unique pair below; no
    # query looks allocations up by stock level alone.
    order_line = models.ForeignKey(OrderLine, on_delete=models.CASCADE,
                                   related_name="allocations", db_index=False,
                                   db_constraint=False)
    stock_level = models.ForeignKey(StockLevel, on_delete=models.PROTECT,
                                    related_name="allocations", db_constraint=False,
                                    db_index=False)
    quantity = models.IntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["order_line", "stock_level"],
                                    name="allocation_line_level_unique"),
            models.CheckConstraint(condition=Q(quantity__gt=0),
                                   name="allocation_quantity_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} for line {self.order_line_id} at level {self.stock_level_id}"


class Credit(models.Model):
    """Money owed back to the customer (`CN-000001`): units the customer had
    paid for that were cancelled, substituted down or not shipped. Written
    only by `fillrate.orders.money.credit_overpayment`."""

    PREFIX = "CN"

    order = models.ForeignKey(SalesOrder, on_delete=models.PROTECT, related_name="credits")
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    # What took the units away: `backorder_cancelled`, `order_cancelled`,
    # `shortfall_cancelled`, `substituted`, `short_shipped`.
    reason = models.CharField(max_length=32)
    # The document that did it (BO-000045, SO-000123, ...) and its cancel reason.
    source = models.CharField(max_length=100, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0),
                                              name="credit_amount_positive")]

    def __str__(self) -> str:
        return self.number

    @property
    def number(self) -> str:
        return format_number(self.PREFIX, self.pk)


class RefundMethod(models.TextChoices):
    CARD = "card"
    BANK_TRANSFER = "bank_transfer"
    CASH = "cash"
    CHECK = "check"
    STORE_CREDIT = "store_credit"
    OTHER = "other"


class Refund(models.Model):
    """Money paid back against an order's credits (`RF-000001`)."""

    PREFIX = "RF"

    order = models.ForeignKey(SalesOrder, on_delete=models.PROTECT, related_name="refunds")
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    method = models.CharField(max_length=16, choices=RefundMethod.choices)
    reference = models.CharField(max_length=100, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="refund_amount_positive"),
            models.CheckConstraint(condition=Q(method__in=RefundMethod.values),
                                   name="refund_method_known"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def number(self) -> str:
        return format_number(self.PREFIX, self.pk)

from django.conf import settings
from django.db import models
from django.db.models import Q

from fillrate.backorders.models import Backorder, BackorderLine
from fillrate.catalog.models import Product
from fillrate.core.numbers import format_number
from fillrate.customers.models import Customer
from fillrate.orders.models import OrderLine, SalesOrder


class FulfillmentStatus(models.TextChoices):
    QUEUED = "queued"
    PICKING = "picking"
    PICKED = "picked"
    PACKED = "packed"
    DISPATCHED = "dispatched"
    DELIVERED = "delivered"
    ISSUE = "issue"
    BACKORDER = "backorder"
    CANCELLED = "cancelled"


class Fulfillment(models.Model):
    """One shipment of one order: which order lines (and backorder lines) go
    out, how many, with carrier and tracking (lifecycle in `lifecycle.py`)."""

    PREFIX = "FF"

    order = models.ForeignKey(SalesOrder, on_delete=models.PROTECT, related_name="fulfillments")
    # Set when the fulfillment was made by fulfilling this backorder.
    backorder = models.ForeignKey(Backorder, null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="fulfillments")
    status = models.CharField(max_length=16, choices=FulfillmentStatus.choices,
                              default=FulfillmentStatus.QUEUED)
    carrier = models.CharField(max_length=100, blank=True)
    tracking_number = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    dispatched_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["status", "id"]), models.Index(fields=["order", "status"]),
                   # fill rate: the dispatches of a period
                   models.Index(fields=["dispatched_at"], condition=Q(dispatched_at__isnull=False),
                                name="fulfillment_dispatched")]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=FulfillmentStatus.values),
                                   name="fulfillment_status_known"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def number(self) -> str:
        return format_number(self.PREFIX, self.pk)


class FulfillmentLine(models.Model):
    """`quantity` units of one order line on one fulfillment; `backorder_line`
    says when they are units of a backorder rather than the order's own."""

    fulfillment = models.ForeignKey(Fulfillment, on_delete=models.CASCADE, related_name="lines")
    order_line = models.ForeignKey(OrderLine, on_delete=models.PROTECT,
                                   related_name="fulfillment_lines")
    backorder_line = models.ForeignKey(BackorderLine, null=True, blank=True,
                                       on_delete=models.PROTECT,
                                       related_name="fulfillment_lines")
    product = models.ForeignKey(Product, on_delete=models.PROTECT,
                                related_name="fulfillment_lines")
    quantity = models.IntegerField()

    class Meta:
        ordering = ["fulfillment_id", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0),
                                   name="fulfillment_line_quantity_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.fulfillment_id}/{self.id}"


class Invoice(models.Model):
    """What one dispatched fulfillment charges, at the order lines' locked prices."""

    PREFIX = "INV"

    fulfillment = models.OneToOneField(Fulfillment, on_delete=models.PROTECT,
                                       related_name="invoice")
    order = models.ForeignKey(SalesOrder, on_delete=models.PROTECT, related_name="invoices")
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="invoices")
    invoice_date = models.DateField()
    due_date = models.DateField()
    total = models.DecimalField(max_digits=14, decimal_places=2)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["customer", "-id"]), models.Index(fields=["order"])]
        constraints = [
            models.CheckConstraint(condition=Q(total__gte=0), name="invoice_total_not_negative"),
            models.CheckConstraint(condition=Q(due_date__gte=models.F("invoice_date")),
                                   name="invoice_due_after_date"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def number(self) -> str:
        return format_number(self.PREFIX, self.pk)


class InvoiceLine(models.Model):
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    order_line = models.ForeignKey(OrderLine, on_delete=models.PROTECT,
                                   related_name="invoice_lines")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="invoice_lines")
    description = models.CharField(max_length=300)
    quantity = models.IntegerField()
    rate = models.DecimalField(max_digits=12, decimal_places=2)
    amount = models.DecimalField(max_digits=14, decimal_places=2)

    class Meta:
        ordering = ["invoice_id", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0),
                                   name="invoice_line_quantity_positive"),
            models.CheckConstraint(condition=Q(rate__gte=0), name="invoice_line_rate_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.invoice_id}/{self.id}"

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from fillrate.catalog.models import Product
from fillrate.core.numbers import format_number
from fillrate.inventory.models import Location


class Supplier(models.Model):
    code = models.CharField(max_length=32, unique=True)
    name = models.CharField(max_length=200)
    email = models.EmailField(blank=True)
    lead_time_days = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.code


class PurchaseOrderStatus(models.TextChoices):
    DRAFT = "draft"
    ORDERED = "ordered"
    PARTIALLY_RECEIVED = "partially_received"
    RECEIVED = "received"
    CANCELLED = "cancelled"


class PurchaseOrder(models.Model):
    """Stock on its way from a supplier. Its status moves by the table in
    `lifecycle.py`; once ordered, receipts decide it from the lines."""

    PREFIX = "PO"

    supplier = models.ForeignKey(Supplier, on_delete=models.PROTECT,
                                 related_name="purchase_orders")
    status = models.CharField(max_length=24, choices=PurchaseOrderStatus.choices,
                              default=PurchaseOrderStatus.ORDERED)
    expected_date = models.DateField()
    notes = models.TextField(blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    ordered_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["status", "expected_date"]),
                   models.Index(fields=["supplier", "-id"])]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=PurchaseOrderStatus.values),
                                   name="purchase_order_status_known"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def number(self) -> str:
        return format_number(self.PREFIX, self.pk)


class PurchaseOrderLine(models.Model):
    """outstanding = quantity - received - cancelled, never below zero:
    `received` may pass `quantity` when a receipt allowed over-receipt;
    `cancelled` is what a cancel closed of the outstanding rest."""

    purchase_order = models.ForeignKey(PurchaseOrder, on_delete=models.CASCADE,
                                       related_name="lines")
    line_no = models.PositiveSmallIntegerField()
    product = models.ForeignKey(Product, on_delete=models.PROTECT,
                                related_name="purchase_order_lines")
    quantity = models.IntegerField()
    received = models.IntegerField(default=0)
    cancelled = models.IntegerField(default=0)
    unit_cost = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)

    class Meta:
        ordering = ["purchase_order_id", "line_no"]
        indexes = [models.Index(fields=["product"])]
        constraints = [
            models.UniqueConstraint(fields=["purchase_order", "product"],
                                    name="purchase_order_line_product_unique"),
            models.CheckConstraint(condition=Q(quantity__gt=0),
                                   name="purchase_order_line_quantity_positive"),
            models.CheckConstraint(condition=Q(received__gte=0, cancelled__gte=0),
                                   name="purchase_order_line_counters_not_negative"),
            models.CheckConstraint(
                condition=Q(cancelled=0) | Q(cancelled__lte=F("quantity") - F("received")),
                name="purchase_order_line_cancelled_within_outstanding"),
            models.CheckConstraint(condition=Q(unit_cost__isnull=True) | Q(unit_cost__gte=0),
                                   name="purchase_order_line_cost_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.purchase_order_id}/{self.line_no}"

    @property
    def outstanding(self) -> int:
        return max(self.quantity - self.received - self.cancelled, 0)


class Receipt(models.Model):
    """What arrived against one purchase order, and where it was put."""

    PREFIX = "RC"

    purchase_order = models.ForeignKey(PurchaseOrder, on_delete=models.PROTECT,
                                       related_name="receipts")
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="+")
    over_receipt = models.BooleanField(default=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.number

    @property
    def number(self) -> str:
        return format_number(self.PREFIX, self.pk)


class ReceiptLine(models.Model):
    receipt = models.ForeignKey(Receipt, on_delete=models.CASCADE, related_name="lines")
    purchase_order_line = models.ForeignKey(PurchaseOrderLine, on_delete=models.PROTECT,
                                            related_name="receipt_lines")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    quantity = models.IntegerField()

    class Meta:
        ordering = ["receipt_id", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0),
                                   name="receipt_line_quantity_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} of {self.product_id} on {self.receipt_id}"


class ReorderPoint(models.Model):
    """How a product is restocked: keep `reorder_point` units available
    beyond what backorders wait for, bought from `supplier` (the preferred
    one). It lives here rather than on the product because the catalog sits
    below purchasing and may not name a supplier."""

    product = models.OneToOneField(Product, on_delete=models.CASCADE,
                                   related_name="reorder_point")
    reorder_point = models.IntegerField(default=0)
    supplier = models.ForeignKey(Supplier, null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="reorder_points")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(reorder_point__gte=0),
                                   name="reorder_point_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.product_id}: {self.reorder_point} from {self.supplier_id}"

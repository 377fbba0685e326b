from django.conf import settings
from django.db import models
from django.db.models import F, Q

from fillrate.catalog.models import Product
from fillrate.core.numbers import format_number
from fillrate.customers.models import Customer
from fillrate.orders.models import OrderLine, SalesOrder
from fillrate.purchasing.models import PurchaseOrderLine


class BackorderStatus(models.TextChoices):
    OPEN = "open"
    READY = "ready"
    PARTIALLY_FULFILLED = "partially_fulfilled"
    COMPLETE = "complete"
    CANCELLED = "cancelled"


class Priority(models.TextChoices):
    NORMAL = "normal"
    HIGH = "high"


class CancelReason(models.TextChoices):
    CUSTOMER_REQUESTED = "customer_requested", "Customer requested"
    PRODUCT_DISCONTINUED = "product_discontinued", "Product discontinued"
    UNABLE_TO_FULFIL = "unable_to_fulfil", "Unable to fulfil"
    EXCESSIVE_DELAY = "excessive_delay", "Excessive delay"
    OTHER = "other", "Other (explain in notes)"
    # Set by a substitution only (`workflows.substitute`), never chosen in the
    # cancel dialog: the units were replaced by another product.
    SUBSTITUTED = "substituted", "Substituted"


# The reasons a person (or the customer's link) may give for a cancel.
CHOSEN_CANCEL_REASONS = tuple(r for r in CancelReason.values if r != CancelReason.SUBSTITUTED)


class Backorder(models.Model):
    """The part of an order that could not be filled yet: its own record with
    its own lifecycle (see `lifecycle.py`), linked to the order and its lines."""

    PREFIX = "BO"

    order = models.ForeignKey(SalesOrder, on_delete=models.PROTECT, related_name="backorders")
    # Indexed by (customer, created_at) below.
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="backorders",
                                 db_index=False)
    status = models.CharField(max_length=24, choices=BackorderStatus.choices,
                              default=BackorderStatus.OPEN)
    priority = models.CharField(max_length=8, choices=Priority.choices, default=Priority.NORMAL)
    # The latest expected date of the waiting lines (from their promises), or
    # a date set by hand (`expected_date_manual`), which wins until cleared.
    expected_date = models.DateField(null=True, blank=True)
    expected_date_manual = models.BooleanField(default=False)
    reason = models.CharField(max_length=200, blank=True)
    notes = models.TextField(blank=True)
    # Split off an order by a person (not opened for a shortfall): the stock
    # the split released is not handed to waiting backorders (it would go
    # straight back to the order's own older backorder).
    split_by_hand = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.CharField(max_length=24, choices=CancelReason.choices, blank=True)
    cancel_notes = models.TextField(blank=True)
    # Totals of the lines (see `backorders.totals`): units not yet fulfilled
    # or cancelled, those of them no stock is held for, and the open units'
    # value at the locked prices. Kept by the database in the statement that
    # changes a line; never written by code. open_units > 0 exactly when the
    # backorder is active (its status follows its lines).
    # (Database defaults too: rows inserted by plain SQL start at zero.)
    open_units = models.IntegerField(default=0, db_default=0, editable=False)
    waiting_units = models.IntegerField(default=0, db_default=0, editable=False)
    open_value = models.DecimalField(max_digits=14, decimal_places=2, default=0, db_default=0,
                                     editable=False)

    class Meta:
        # No index names `status`, so status changes are HOT updates (see
        # SalesOrder); lists filter by status while they walk these.
        indexes = [
            models.Index(fields=["created_at"]),
            models.Index(fields=["customer", "created_at"]),
            # fill rate: the backorders cancelled in a period
            models.Index(fields=["cancelled_at"], condition=Q(status="cancelled"),
                         name="backorder_cancelled_at"),
            models.Index(fields=["expected_date"]),
            # The list's priority ordering (high first, oldest first).
            models.Index(fields=["priority", "created_at", "id"],
                         name="backorder_priority_created"),
            # The reports over active backorders read these alone (index-only).
            models.Index(fields=["created_at"], include=["customer", "open_units", "open_value"],
                         condition=Q(open_units__gt=0), name="backorder_open_by_created"),
            models.Index(fields=["customer", "created_at"],
                         include=["open_units", "open_value", "expected_date"],
                         condition=Q(open_units__gt=0), name="backorder_open_by_customer"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=BackorderStatus.values),
                                   name="backorder_status_known"),
            models.CheckConstraint(condition=Q(priority__in=Priority.values),
                                   name="backorder_priority_known"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def number(self) -> str:
        return format_number(self.PREFIX, self.pk)


def waiting_units(prefix: str = ""):
    """A backorder line's waiting units as a query expression (`prefix` for
    a related line, e.g. "lines__")."""
    return (F(f"{prefix}quantity") - F(f"{prefix}allocated") - F(f"{prefix}fulfilled")
            - F(f"{prefix}cancelled"))


class BackorderLine(models.Model):
    """`quantity` units of one order line put on backorder, at the line's
    locked unit price. waiting = quantity - allocated - fulfilled - cancelled."""

    backorder = models.ForeignKey(Backorder, on_delete=models.CASCADE, related_name="lines")
    order_line = models.ForeignKey(OrderLine, on_delete=models.PROTECT,
                                   related_name="backorder_lines")
    # Indexed by (product, backorder) below.
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="backorder_lines",
                                db_index=False)
    quantity = models.IntegerField()
    allocated = models.IntegerField(default=0)
    fulfilled = models.IntegerField(default=0)
    cancelled = models.IntegerField(default=0)
    unit_price = models.DecimalField(max_digits=12, decimal_places=2)
    # When the waiting units are due by their promises (None: not all are
    # promised). The line's expected date is this, or the backorder's date
    # when that was set by hand (`expected_date`).
    promised_date = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["backorder_id", "id"]
        indexes = [models.Index(fields=["product", "backorder"]),
                   # the few lines holding stock (what can ship now), whatever the backlog
                   models.Index(fields=["backorder"], condition=Q(allocated__gt=0),
                                name="backorder_line_held")]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0),
                                   name="backorder_line_quantity_positive"),
            models.CheckConstraint(
                condition=Q(allocated__gte=0, fulfilled__gte=0, cancelled__gte=0),
                name="backorder_line_buckets_not_negative"),
            models.CheckConstraint(
                condition=Q(quantity__gte=F("allocated") + F("fulfilled") + F("cancelled")),
                name="backorder_line_buckets_within_quantity"),
        ]

    def __str__(self) -> str:
        return f"{self.backorder_id}/{self.id}"

    @property
    def waiting(self) -> int:
        return self.quantity - self.allocated - self.fulfilled - self.cancelled

    @property
    def open_quantity(self) -> int:
        return self.quantity - self.fulfilled - self.cancelled

    @property
    def expected_date(self):
        """The backorder's date when set by hand, else the promise's date.
        Needs the backorder loaded (select_related)."""
        if self.backorder.expected_date_manual:
            return self.backorder.expected_date
        return self.promised_date


class Promise(models.Model):
    """`quantity` waiting units of a backorder line claimed on the open
    quantity of a purchase-order line, due on the purchase order's expected
    date. Derived data: `fillrate.backorders.promises.repromise` rebuilds the
    promises of a product whenever its waiting lines or its open supply
    change (after a receipt, `repromise_after_receipt` may shift them
    instead, to the same result)."""

    # Indexed by the unique pair below (its first column).
    backorder_line = models.ForeignKey(BackorderLine, on_delete=models.CASCADE,
                                       related_name="promises", db_index=False)
    purchase_order_line = models.ForeignKey(PurchaseOrderLine, on_delete=models.CASCADE,
                                            related_name="promises")
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="+")
    quantity = models.IntegerField()
    expected_date = models.DateField()

    class Meta:
        ordering = ["backorder_line_id", "expected_date", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0),
                                   name="promise_quantity_positive"),
            models.UniqueConstraint(fields=["backorder_line", "purchase_order_line"],
                                    name="promise_one_per_line_pair"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} of line {self.backorder_line_id} by {self.expected_date}"


class CommunicationMethod(models.TextChoices):
    PHONE = "phone"
    EMAIL = "email"
    IN_PERSON = "in_person"
    NOTIFICATION = "notification"
    OTHER = "other"
    # The customer chose through the signed choice link (`fillrate.comms.links`).
    LINK = "link"


class Preference(models.TextChoices):
    """What the customer wants done about the backorder (seed 003)."""

    WAIT = "wait", "Wait for stock"
    PARTIAL = "partial", "Ship what is ready now"
    CANCEL = "cancel", "Cancel the backorder"
    SUBSTITUTE = "substitute", "Accept a substitute"


class Communication(models.Model):
    """What the customer was told or asked about a backorder (seed 003)."""

    backorder = models.ForeignKey(Backorder, on_delete=models.CASCADE,
                                  related_name="communications")
    method = models.CharField(max_length=16, choices=CommunicationMethod.choices)
    summary = models.TextField()
    preference = models.CharField(max_length=16, choices=Preference.choices, blank=True)
    agreed = models.TextField(blank=True)
    next_follow_up = models.DateField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.method}: {self.summary[:40]}"


class ChoiceLinkUse(models.Model):
    """A customer's choice link that has been used (links are signed tokens,
    stored nowhere until used; see `fillrate.comms.links`). The unique nonce
    is what makes a link single-use."""

    nonce = models.CharField(max_length=32, unique=True)
    backorder = models.ForeignKey(Backorder, on_delete=models.CASCADE,
                                  related_name="choice_link_uses")
    choice = models.CharField(max_length=16)
    used_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.backorder_id}: {self.choice}"


class SubstitutionStatus(models.TextChoices):
    PROPOSED = "proposed"
    APPLIED = "applied"
    WITHDRAWN = "withdrawn"


class Substitution(models.Model):
    """`quantity` units of a backorder line replaced by another product at
    `unit_price` (the original line's unless staff set another). Proposed by
    staff for the customer to accept through the choice link, or applied at
    once; once applied, `order_line` is the substitute line added to the
    order (linked both ways: `BackorderLine.substitutions`,
    `OrderLine.substitute_for`)."""

    backorder = models.ForeignKey(Backorder, on_delete=models.CASCADE,
                                  related_name="substitutions")
    backorder_line = models.ForeignKey(BackorderLine, on_delete=models.CASCADE,
                                       related_name="substitutions")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    quantity = models.IntegerField()
    unit_price = models.DecimalField(max_digits=12, decimal_places=2)
    status = models.CharField(max_length=12, choices=SubstitutionStatus.choices)
    order_line = models.OneToOneField(OrderLine, null=True, blank=True,
                                      on_delete=models.PROTECT, related_name="substitute_for")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    applied_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0),
                                   name="substitution_quantity_positive"),
            models.CheckConstraint(condition=Q(unit_price__gte=0),
                                   name="substitution_price_not_negative"),
            models.CheckConstraint(condition=Q(status__in=SubstitutionStatus.values),
                                   name="substitution_status_known"),
        ]

    def __str__(self) -> str:
        return f"{self.backorder_line_id} -> {self.product_id} x{self.quantity}"
class ProductBacklog(models.Model):
    """What active backorders owe of one product: open lines (one per
    backorder), their open and waiting units and value, the customers they
    belong to, and the oldest one's creation. Kept by the database with the
    lines (`backorders.totals`); read by the reports, written by no code."""

    product = models.OneToOneField(Product, on_delete=models.CASCADE, primary_key=True,
                                   related_name="+", db_constraint=False)
    open_lines = models.IntegerField(default=0)
    open_units = models.IntegerField(default=0)
    waiting_units = models.IntegerField(default=0)
    open_value = models.DecimalField(max_digits=16, decimal_places=2, default=0)
    customers = models.IntegerField(default=0)
    oldest = models.DateTimeField(null=True)

    class Meta:
        indexes = [models.Index(fields=["open_lines"], name="product_backlog_open",
                                condition=Q(open_lines__gt=0))]

    def __str__(self) -> str:
        return f"{self.open_units} units of product {self.product_id} on {self.open_lines} lines"


class CustomerProductBacklog(models.Model):
    """Open backorder lines per (product, customer): how
    `ProductBacklog.customers` knows when a customer starts or stops waiting."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="+",
                                db_constraint=False, db_index=False)
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+",
                                 db_constraint=False, db_index=False)
    open_lines = models.IntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["product", "customer"],
                                               name="customer_product_backlog_unique")]

    def __str__(self) -> str:
        return f"{self.open_lines} lines of product {self.product_id} for {self.customer_id}"


class ProductDayBacklog(models.Model):
    """What active backorders created on one day (UTC) owe of one product:
    open lines, units and value. Kept by the database with the lines
    (`backorders.totals`); the aging report by product reads it (whole days
    fall in one age bucket; the days a bucket boundary cuts are read from
    the lines). A row is removed when its last open line closes."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="+",
                                db_constraint=False, db_index=False)
    day = models.DateField()
    open_lines = models.IntegerField(default=0)
    open_units = models.IntegerField(default=0)
    open_value = models.DecimalField(max_digits=16, decimal_places=2, default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["product", "day"],
                                               name="product_day_backlog_unique")]

    def __str__(self) -> str:
        return f"{self.open_units} units of product {self.product_id} from {self.day}"

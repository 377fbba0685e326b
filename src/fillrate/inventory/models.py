from django.conf import settings
from django.db import models
from django.db.models import F, Q

from fillrate.catalog.models import Product


class Warehouse(models.Model):
    code = models.CharField(max_length=32, unique=True)
    name = models.CharField(max_length=200)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class LocationKind(models.TextChoices):
    PICK = "pick"
    BULK = "bulk"
    RECEIVING = "receiving"
    ISSUES = "issues"
    # A tote's own place: stock picked into a tote stays allocated there until
    # it ships (`fillrate.picking`); never sellable, never made by hand.
    TOTE = "tote"


# Stock in these kinds of location can be allocated to orders; stock on the
# issues wall is held out until a supervisor decides what it is.
SELLABLE_KINDS = (LocationKind.PICK, LocationKind.BULK, LocationKind.RECEIVING)
# The kinds of location people create (a tote's location comes with the tote).
PLACE_KINDS = (*SELLABLE_KINDS, LocationKind.ISSUES)


class Location(models.Model):
    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="locations")
    code = models.CharField(max_length=32)
    name = models.CharField(max_length=200, blank=True)
    kind = models.CharField(max_length=16, choices=LocationKind.choices)
    pick_sequence = models.PositiveIntegerField(default=0)
    # A group of locations a picker works through together (aisle, floor).
    zone = models.CharField(max_length=32, blank=True)
    # An inactive location takes no new stock; one holding stock stays active.
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["warehouse_id", "pick_sequence", "code"]
        constraints = [
            models.UniqueConstraint(fields=["warehouse", "code"], name="location_code_unique"),
            models.CheckConstraint(condition=Q(kind__in=LocationKind.values),
                                   name="location_kind_known"),
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def sellable(self) -> bool:
        return self.kind in SELLABLE_KINDS


class StockLevel(models.Model):
    """On-hand and allocated quantity of one product at one location.

    Changed only through `fillrate.inventory.services` under the lock of
    `lock_stock_levels`; the CHECK constraints are the last guard.
    """

    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="stock_levels")
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="stock_levels")
    on_hand = models.IntegerField(default=0)
    allocated = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["product", "location"], name="stock_level_unique"),
            models.CheckConstraint(condition=Q(on_hand__gte=0), name="stock_on_hand_not_negative"),
            models.CheckConstraint(condition=Q(allocated__gte=0),
                                   name="stock_allocated_not_negative"),
            models.CheckConstraint(condition=Q(allocated__lte=F("on_hand")),
                                   name="stock_allocated_within_on_hand"),
        ]

    def __str__(self) -> str:
        return f"{self.product_id}@{self.location_id}: {self.on_hand}/{self.allocated}"

    @property
    def free(self) -> int:
        return self.on_hand - self.allocated


class MovementKind(models.TextChoices):
    RECEIVED = "received"
    PICKED = "picked"
    SHIPPED = "shipped"
    ADJUSTED = "adjusted"
    COUNTED = "counted"
    TRANSFERRED = "transferred"
    # Stock a supervisor confirmed missing on the warehouse floor.
    MISSING = "missing"


class AdjustmentReason(models.TextChoices):
    COUNT = "count", "stock count"
    DAMAGED = "damaged", "damaged"
    FOUND = "found", "found"
    LOST = "lost", "lost"
    CORRECTION = "correction", "correction"
    RETURNED = "returned", "customer return"


class StockMovement(models.Model):
    """Append-only ledger: one row per change of on-hand stock."""

    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="movements")
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="movements")
    quantity = models.IntegerField()
    on_hand_after = models.IntegerField()
    kind = models.CharField(max_length=16, choices=MovementKind.choices)
    reason = models.CharField(max_length=32, blank=True)
    note = models.CharField(max_length=500, blank=True)
    reference = models.CharField(max_length=64, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["product", "-id"])]
        constraints = [
            models.CheckConstraint(condition=~Q(quantity=0), name="movement_quantity_not_zero"),
            models.CheckConstraint(condition=Q(kind__in=MovementKind.values),
                                   name="movement_kind_known"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.quantity:+d} of {self.product_id} at {self.location_id}"

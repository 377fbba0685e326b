"""The warehouse floor: totes, pick runs, picks, holds and issues.

Stock itself never lives here: a tote has its own location (kind `tote`) in
`fillrate.inventory`, and a pick moves stock into it through
`fillrate.inventory.services`. These rows say who picked what into which
tote, which fulfillments a run covers and what went wrong.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from fillrate.catalog.models import Product
from fillrate.core.numbers import format_number
from fillrate.fulfilment.models import Fulfillment, FulfillmentLine
from fillrate.inventory.models import Location


class Tote(models.Model):
    """A reusable barcoded container; its code identifies the work inside it.
    It holds the picked stock of one fulfillment, or of several (a
    multi-order tote), in its own location, and is free again once they are
    packed. `place` is where it stands when it is parked (the issues wall)."""

    code = models.CharField(max_length=24, unique=True)
    location = models.OneToOneField(Location, on_delete=models.PROTECT, related_name="tote")
    place = models.ForeignKey(Location, null=True, blank=True, on_delete=models.PROTECT,
                              related_name="parked_totes")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.code


class ToteContent(models.Model):
    """A fulfillment whose picked units are in a tote (one tote per
    fulfillment; several fulfillments per tote). Deleted when the
    fulfillment is packed or cancelled, which frees the tote."""

    tote = models.ForeignKey(Tote, on_delete=models.PROTECT, related_name="contents")
    fulfillment = models.OneToOneField(Fulfillment, on_delete=models.CASCADE,
                                       related_name="tote_content")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["tote"])]

    def __str__(self) -> str:
        return f"{self.fulfillment_id} in {self.tote_id}"


class PickRunStatus(models.TextChoices):
    OPEN = "open"
    PICKING = "picking"
    DONE = "done"
    CANCELLED = "cancelled"


class PickRun(models.Model):
    """A batch of fulfillments one picker works through (lifecycle in
    `lifecycle.py`)."""

    PREFIX = "PR"

    status = models.CharField(max_length=16, choices=PickRunStatus.choices,
                              default=PickRunStatus.OPEN)
    picker = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                               on_delete=models.SET_NULL, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["status", "id"])]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=PickRunStatus.values),
                                   name="pick_run_status_known"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def number(self) -> str:
        return format_number(self.PREFIX, self.pk)


class PickRunFulfillment(models.Model):
    """A fulfillment in a run. `active` while the run is open or picking: a
    fulfillment is in one active run at most (the partial unique constraint
    is the last guard behind the row locks of `create_pick_run`)."""

    run = models.ForeignKey(PickRun, on_delete=models.CASCADE, related_name="members")
    fulfillment = models.ForeignKey(Fulfillment, on_delete=models.CASCADE,
                                    related_name="pick_runs")
    position = models.PositiveIntegerField()
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["run_id", "position"]
        constraints = [
            models.UniqueConstraint(fields=["fulfillment"], condition=Q(active=True),
                                    name="fulfillment_in_one_active_run"),
            models.UniqueConstraint(fields=["run", "fulfillment"],
                                    name="pick_run_fulfillment_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.run_id}: {self.fulfillment_id}"


class Pick(models.Model):
    """One recorded scan: `quantity` units of a fulfillment line taken from a
    location into a tote (their stock moved with `picked` movements). An
    undone pick keeps its row with `undone_at` set."""

    run = models.ForeignKey(PickRun, null=True, blank=True, on_delete=models.PROTECT,
                            related_name="picks")
    fulfillment = models.ForeignKey(Fulfillment, on_delete=models.CASCADE, related_name="picks")
    fulfillment_line = models.ForeignKey(FulfillmentLine, on_delete=models.CASCADE,
                                         related_name="picks")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="+")
    tote = models.ForeignKey(Tote, on_delete=models.PROTECT, related_name="picks")
    quantity = models.IntegerField()
    picker = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                               on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    undone_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["run", "-id"]),
                   models.Index(fields=["fulfillment", "-id"])]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="pick_quantity_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} of {self.product_id} from {self.location_id}"


class QueueHold(models.Model):
    """A supervisor keeps a queued fulfillment out of the pick queue until
    released."""

    fulfillment = models.OneToOneField(Fulfillment, on_delete=models.CASCADE,
                                       related_name="queue_hold")
    reason = models.CharField(max_length=300, blank=True)
    held_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="+")
    held_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"hold on {self.fulfillment_id}"


class IssueStatus(models.TextChoices):
    OPEN = "open"
    RESOLVED = "resolved"


class Resolution(models.TextChoices):
    FOUND = "found"
    CANCEL = "cancel"
    SPLIT = "split"
    WAIT = "wait"


class Issue(models.Model):
    """Units of a fulfillment line a picker could not find: the fulfillment
    waits on the issues wall until a supervisor decides (`Resolution`)."""

    PREFIX = "IS"

    fulfillment = models.ForeignKey(Fulfillment, on_delete=models.PROTECT,
                                    related_name="issues")
    fulfillment_line = models.ForeignKey(FulfillmentLine, null=True, blank=True,
                                         on_delete=models.SET_NULL, related_name="+")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    quantity = models.IntegerField()
    # Where the picker looked for it (where the ledger says it is).
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=16, choices=IssueStatus.choices,
                              default=IssueStatus.OPEN)
    resolution = models.CharField(max_length=16, choices=Resolution.choices, blank=True)
    # `found`: where the supervisor found the units.
    found_at = models.ForeignKey(Location, null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+")
    # `split` / `wait`: the backorder the missing units became.
    backorder_number = models.CharField(max_length=32, blank=True)
    # `cancel`: what the order had paid beyond what it now costs.
    money_owed = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    notes = models.CharField(max_length=500, blank=True)
    reported_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["status", "id"]),
                   models.Index(fields=["fulfillment", "status"])]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="issue_quantity_positive"),
            models.CheckConstraint(condition=Q(status__in=IssueStatus.values),
                                   name="issue_status_known"),
            models.CheckConstraint(
                condition=Q(status=IssueStatus.OPEN, resolution="")
                | Q(status=IssueStatus.RESOLVED, resolution__in=Resolution.values),
                name="issue_resolution_when_resolved"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def number(self) -> str:
        return format_number(self.PREFIX, self.pk)

from django.conf import settings
from django.db import models


class Event(models.Model):
    """One row per state change, written in the same transaction as the change.

    The audit trail and, later, the source of notifications and webhooks.
    `type` is a past-tense name (`StockAdjusted`); `subject` is the human
    reference of what changed (`SKU`, `SO-000001`).
    """

    type = models.CharField(max_length=64)
    subject_type = models.CharField(max_length=32)
    subject = models.CharField(max_length=64)
    # Not indexed: events are written in bulk (a receipt can write 12,000) and
    # read by subject; nothing looks them up by actor. No database foreign
    # key either: its deferred per-row check at COMMIT cost a receipt that
    # writes 12,500 events 80 ms. Events are written with the id of the user
    # making the request, and Django still sets it to NULL when a user is
    # deleted.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+", db_index=False, db_constraint=False,
    )
    payload = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["subject_type", "subject"])]
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.type} {self.subject}"


class Setting(models.Model):
    """A business setting changed by administrators; defaults live in
    `fillrate.core.business.DEFAULTS` and apply until a row exists."""

    key = models.CharField(max_length=64, unique=True)
    value = models.JSONField()
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.key}={self.value!r}"

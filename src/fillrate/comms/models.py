"""The outbox: customer emails and webhook deliveries waiting for the worker.

Rows are written by a database trigger on the event table (migration
`0002_notify_outbox_trigger`),
in the transaction that writes the events, so a change and what it tells
the world commit or roll back together. The worker (`worker.py`) claims due
rows under a lease, delivers them and records the outcome.
"""

from django.db import models
from django.db.models import Q

from fillrate.core.models import Event
from fillrate.customers.models import Customer


class DeliveryStatus(models.TextChoices):
    QUEUED = "queued"  # waiting for a worker (or for its next try)
    SENT = "sent"  # delivered
    FAILED = "failed"  # gave up after the last try; staff can retry
    SKIPPED = "skipped"  # nothing to send (preference, setting, merged, ...): see `last_error`


class NotificationKind(models.TextChoices):
    BACKORDER_CREATED = "backorder_created", "Backorder created"
    DATE_CHANGED = "date_changed", "Expected date changed"
    READY = "ready", "Ready to ship"
    SHIPPED = "shipped", "Shipped"
    PARTLY_SHIPPED = "partly_shipped", "Partly shipped"
    CANCELLED = "cancelled", "Cancelled"
    WEEKLY = "weekly", "Weekly update"


class Delivery(models.Model):
    """What every queued delivery has: a status, its tries and a lease.

    A worker claims a row by setting `leased_until`; while the lease runs no
    other worker takes it, and when a worker dies (kill -9) the lease runs
    out and the row is claimed again, so nothing is lost."""

    status = models.CharField(max_length=8, choices=DeliveryStatus.choices,
                              default=DeliveryStatus.QUEUED)
    attempts = models.IntegerField(default=0)
    available_at = models.DateTimeField()
    leased_until = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True, default="")
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        abstract = True


class Notification(Delivery):
    """One email to a customer about a backorder (`subject`, `BO-000001`),
    from an event (`event`), or a weekly update (no event)."""

    event = models.ForeignKey(Event, null=True, blank=True, on_delete=models.DO_NOTHING,
                              db_constraint=False, related_name="+")
    kind = models.CharField(max_length=20, choices=NotificationKind.choices)
    subject = models.CharField(max_length=64)
    recipient = models.CharField(max_length=254, blank=True, default="")

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["available_at"], condition=Q(status="queued"),
                         name="comms_notification_due"),
            models.Index(fields=["subject", "kind"], name="comms_notification_subject"),
            models.Index(fields=["status", "id"], name="comms_notification_status"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=DeliveryStatus.values),
                                   name="comms_notification_status_known"),
            models.CheckConstraint(condition=Q(kind__in=NotificationKind.values),
                                   name="comms_notification_kind_known"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.subject} ({self.status})"


class Webhook(models.Model):
    """A subscriber: every event of its types is POSTed to `url`, signed
    with `secret`. Deleting keeps the row (and its delivery log) with
    `deleted_at` set; nothing more is queued for it."""

    url = models.URLField(max_length=500)
    secret = models.CharField(max_length=128)
    created_at = models.DateTimeField(auto_now_add=True)
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.url


class WebhookEventType(models.Model):
    """One subscribed event type of a webhook (a row, so the trigger can join it)."""

    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, related_name="types")
    type = models.CharField(max_length=64)

    class Meta:
        indexes = [models.Index(fields=["type"], name="comms_webhook_type")]
        constraints = [models.UniqueConstraint(fields=["webhook", "type"],
                                               name="comms_webhook_type_once")]

    def __str__(self) -> str:
        return self.type


class WebhookDelivery(Delivery):
    """One event to POST to one webhook."""

    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, related_name="deliveries")
    event = models.ForeignKey(Event, on_delete=models.DO_NOTHING, db_constraint=False,
                              related_name="+")

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["available_at"], condition=Q(status="queued"),
                         name="comms_webhookdelivery_due"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=DeliveryStatus.values),
                                   name="comms_webhookdelivery_status_known"),
        ]

    def __str__(self) -> str:
        return f"event {self.event_id} to webhook {self.webhook_id} ({self.status})"


class WebhookAttempt(models.Model):
    """One POST of a delivery: the receiver's status code (none when the
    connection failed), the error, and how long it took."""

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE,
                                 related_name="attempts_made")
    status_code = models.IntegerField(null=True, blank=True)
    error = models.TextField(blank=True, default="")
    duration_ms = models.IntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.status_code or self.error} in {self.duration_ms} ms"


class Channel(models.TextChoices):
    EMAIL = "email"
    NONE = "none"


class CustomerPreference(models.Model):
    """How a customer wants to be told (email, the default, or none)."""

    customer = models.OneToOneField(Customer, on_delete=models.CASCADE,
                                    related_name="notification_preference")
    channel = models.CharField(max_length=8, choices=Channel.choices, default=Channel.EMAIL)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(channel__in=Channel.values),
                                              name="comms_preference_channel_known")]

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.channel}"

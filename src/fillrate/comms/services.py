"""Changes staff and customers make to notifications: retrying a failed
delivery and a customer's notification preference."""

from __future__ import annotations

from django.db import transaction

from fillrate.comms import queue
from fillrate.comms.models import Channel, CustomerPreference, Notification, WebhookDelivery
from fillrate.core.errors import Conflict, InvalidValue, NotFound
from fillrate.core.event_types import EventType
from fillrate.core.events import record_event
from fillrate.customers.models import Customer


def retry_notification(*, notification_id: int) -> None:
    """Queue a failed email again with a fresh count of tries. Raises 404
    `notifications.not_found`, 409 `notifications.not_failed`."""
    _retry(Notification, notification_id, "notifications")


def retry_webhook_delivery(*, delivery_id: int) -> None:
    _retry(WebhookDelivery, delivery_id, "webhooks")


def _retry(model, pk: int, app: str) -> None:
    with transaction.atomic():
        if not model.objects.filter(id=pk).exists():
            raise NotFound(f"{app}.not_found", f"no delivery {pk}")
        if not queue.requeue(model, pk):
            raise Conflict(f"{app}.not_failed", f"delivery {pk} has not failed: nothing to retry")


def preference_of(customer_id: int) -> str:
    return (CustomerPreference.objects.filter(customer_id=customer_id)
            .values_list("channel", flat=True).first() or Channel.EMAIL)


def set_preference(*, customer_id: int, channel: str, actor_id: int | None = None) -> str:
    """`email` or `none` (`notifications.invalid_channel`); writes a
    `CustomerUpdated` event when it changes. The unsubscribe link calls
    this with `none` and no actor."""
    if channel not in Channel.values:
        raise InvalidValue("notifications.invalid_channel",
                           f"notifications must be one of {', '.join(Channel.values)}",
                           field="notifications")
    with transaction.atomic():
        customer = Customer.objects.select_for_update().filter(id=customer_id).first()
        if customer is None:
            raise NotFound("customers.not_found", f"no customer {customer_id}")
        old = preference_of(customer_id)
        if old == channel:
            return channel
        CustomerPreference.objects.update_or_create(customer_id=customer_id,
                                                    defaults={"channel": channel})
        record_event(type=EventType.CUSTOMER_UPDATED, subject_type="customer",
                     subject=customer.code, actor_id=actor_id,
                     payload={"field": "notifications", "old": old, "new": channel})
    return channel

from __future__ import annotations

import datetime as dt

from ninja import Field, Query, Router, Schema

from fillrate.api.auth import actor_id, needs
from fillrate.api.pagination import PageParams, paginate
from fillrate.api.schemas import OneOf, Page, RequestSchema
from fillrate.comms import webhooks
from fillrate.comms.models import Channel, Webhook
from fillrate.comms.services import preference_of, set_preference
from fillrate.comms.webhooks import MAX_URL
from fillrate.core.event_types import EventType
from fillrate.customers.selectors import customer_by_code

router = Router(tags=["webhooks"])


# An http(s) address as comms.webhooks checks it (urllib's reading of it:
# control characters and spaces before it are dropped, the scheme in any case,
# a host that is no bracketed IPv6 address).
URL = {"pattern": "^[\\x01-\\x20]*[Hh][Tt][Tt][Pp][Ss]?://[^/?#\\[\\]\\x00\\t\\n\\r]+"
                  "([/?#][^\\x00]*)?$", "maxLength": MAX_URL}


class WebhookIn(RequestSchema):
    url: str = Field(..., json_schema_extra=URL)
    events: list[OneOf(EventType)] = Field(..., json_schema_extra={"minItems": 1})
    secret: str | None = Field(None, json_schema_extra={"minLength": 16, "maxLength": 128})


class WebhookOut(Schema):
    id: int
    url: str
    events: list[str]
    created_at: dt.datetime


class WebhookCreated(WebhookOut):
    secret: str


def render(hook: Webhook, *, with_secret: bool = False) -> dict:
    out = {"id": hook.id, "url": hook.url, "created_at": hook.created_at,
           "events": sorted(t.type for t in hook.types.all())}
    if with_secret:
        out["secret"] = hook.secret
    return out


@router.post("/webhooks", response={201: WebhookCreated}, auth=needs("webhooks.manage"))
def create_webhook(request, payload: WebhookIn):
    """Subscribe `url` to event types. The secret (given, or made when not
    given) is shown only here; it signs every delivery (docs/webhooks.md)."""
    hook = webhooks.subscribe(url=payload.url, events=payload.events, secret=payload.secret)
    return 201, render(hook, with_secret=True)


@router.get("/webhooks", response=Page[WebhookOut], auth=needs("webhooks.view"))
def list_webhooks(request, page: Query[PageParams]):
    rows = Webhook.objects.filter(deleted_at__isnull=True).prefetch_related("types")
    return paginate(rows, page, render)


@router.delete("/webhooks/{webhook_id}", response=WebhookOut, auth=needs("webhooks.manage"))
def delete_webhook(request, webhook_id: int):
    """Stop deliveries to a webhook; what was not yet delivered is dropped."""
    return render(webhooks.unsubscribe(webhook_id=webhook_id))


class PreferenceIn(RequestSchema):
    notifications: OneOf(Channel.values)


class PreferenceOut(Schema):
    customer: str
    notifications: str


@router.get("/notification-preferences/{path:code}", response=PreferenceOut,
            auth=needs("notifications.view"))
def get_preference(request, code: str):
    """How the customer is told about backorders: `email` (the default) or `none`."""
    customer = customer_by_code(code, field="code")
    return {"customer": customer.code, "notifications": preference_of(customer.id)}


@router.put("/notification-preferences/{path:code}", response=PreferenceOut,
            auth=needs("notifications.manage"))
def put_preference(request, code: str, payload: PreferenceIn):
    customer = customer_by_code(code, field="code")
    channel = set_preference(customer_id=customer.id, channel=payload.notifications,
                             actor_id=actor_id(request))
    return {"customer": customer.code, "notifications": channel}

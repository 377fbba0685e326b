"""The customer's choice through the signed link (`fillrate.comms.links`):
wait, ship what is ready now, cancel the backorder, or accept the
substitute staff proposed. Each is applied through the same workflows as
the staff actions, in one transaction with the link's use (so a link is
used once, and a choice that fails leaves the link usable), and logged as a
communication (method `link`) and a `BackorderChoiceMade` event."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import IntegrityError, transaction

from fillrate.backorders import lifecycle
from fillrate.backorders.models import (
    Backorder,
    CancelReason,
    ChoiceLinkUse,
    CommunicationMethod,
    Preference,
)
from fillrate.backorders.services import log_communication
from fillrate.comms.links import ChoiceLinkError, ChoiceToken
from fillrate.core.errors import Conflict, InvalidValue, NotFound
from fillrate.core.event_types import EventType
from fillrate.core.events import record_event
from fillrate.core.numbers import format_number
from fillrate.orders.models import SalesOrder
from fillrate.workflows.cancel_backorder import cancel_backorder_and_feed
from fillrate.workflows.fulfil import fulfil_backorder, fulfil_order
from fillrate.workflows.substitute import accept_substitutes

CHOICES = tuple(Preference.values)
NOTHING_TO_SHIP = {"fulfilment.nothing_to_fulfil", "fulfilment.not_ready_to_ship"}


@dataclass(frozen=True)
class ChoiceApplied:
    backorder: str
    choice: str
    fulfillments: list[str] = field(default_factory=list)
    credits: list[str] = field(default_factory=list)
    substitutes: list[str] = field(default_factory=list)
    ships_in_parts: bool = False  # the order shipped complete only until this choice


def _summary(choice: str, result: ChoiceApplied) -> str:
    if choice == Preference.WAIT:
        return "The customer chose to wait for the stock."
    if choice == Preference.PARTIAL:
        shipped = (f" Queued {', '.join(result.fulfillments)}." if result.fulfillments
                   else " Nothing was ready yet; each part ships as it arrives.")
        return "The customer chose to ship what is ready now." + shipped
    if choice == Preference.CANCEL:
        return "The customer cancelled the backorder." + (
            f" Credit {', '.join(result.credits)} is owed back." if result.credits else "")
    return f"The customer accepted the substitute ({', '.join(result.substitutes)})."


def apply_choice(*, token: ChoiceToken, choice: str) -> ChoiceApplied:
    """Apply the customer's `choice` for the backorder the (already
    verified) token names and record the token's use. Raises
    `ChoiceLinkError("used")` when the token was used meanwhile;
    `backorders.invalid_choice` (422); `backorders.closed` (409) for a
    complete or cancelled backorder; `backorders.no_substitute_proposed`
    (409); and the errors of the workflow applied."""
    if choice not in CHOICES:
        raise InvalidValue("backorders.invalid_choice",
                           f"choice must be one of {', '.join(CHOICES)}", field="choice")
    number = format_number(Backorder.PREFIX, token.backorder_id)
    with transaction.atomic():
        status = (Backorder.objects.select_for_update(of=("self",)).filter(
            id=token.backorder_id).values_list("status", flat=True).first())
        if status is None:
            raise NotFound("backorders.not_found", f"no backorder {number!r}")
        try:
            with transaction.atomic():
                ChoiceLinkUse.objects.create(nonce=token.nonce, backorder_id=token.backorder_id,
                                             choice=choice)
        except IntegrityError:
            raise ChoiceLinkError("used") from None
        if status not in lifecycle.ACTIVE:
            raise Conflict("backorders.closed", f"{number} is {status}")
        result = _apply(number, choice, token.backorder_id)
        log_communication(number=number, method=CommunicationMethod.LINK,
                          summary=_summary(choice, result), preference=choice,
                          agreed=Preference(choice).label)
        record_event(type=EventType.BACKORDER_CHOICE_MADE, subject_type="backorder",
                     subject=number, payload={"choice": choice,
                                              "fulfillments": result.fulfillments,
                                              "credits": result.credits,
                                              "substitutes": result.substitutes,
                                              "ships_in_parts": result.ships_in_parts})
    return result


def _apply(number: str, choice: str, backorder_pk: int) -> ChoiceApplied:
    from fillrate.orders.models import Credit

    backorder = Backorder.objects.select_related("order").get(id=backorder_pk)
    order = backorder.order
    if choice == Preference.WAIT:
        return ChoiceApplied(number, choice)
    if choice == Preference.PARTIAL:
        # This order ships in parts from now on, whatever `partial_shipments` says.
        if order.ship_complete:
            # recorded in the `BackorderChoiceMade` event (`ships_in_parts`)
            SalesOrder.objects.filter(id=order.id).update(ship_complete=False)
        made = []
        for ship in (lambda: fulfil_order(number=order.number),
                     lambda: fulfil_backorder(number=number, ship_partly=True)):
            try:
                made.append(ship().number)
            except Conflict as error:
                if error.code not in NOTHING_TO_SHIP:
                    raise
        return ChoiceApplied(number, choice, fulfillments=made,
                             ships_in_parts=order.ship_complete)
    if choice == Preference.CANCEL:
        before = set(Credit.objects.filter(order_id=order.id).values_list("id", flat=True))
        cancel_backorder_and_feed(number=number, reason=CancelReason.CUSTOMER_REQUESTED,
                                  notes="chosen by the customer through the choice link")
        credits = [c.number for c in Credit.objects.filter(order_id=order.id).exclude(
            id__in=before).order_by("id")]
        return ChoiceApplied(number, choice, credits=credits)
    applied = accept_substitutes(number=number)
    return ChoiceApplied(number, choice, substitutes=[
        f"{s.quantity} {s.product.sku} for {s.backorder_line.product.sku}" for s in applied])

from __future__ import annotations

import datetime as dt
import logging

from django import forms
from django.contrib.auth.forms import AuthenticationForm

from fillrate.accounts.throttle import (
    current_lockout,
    record_login_failure,
    record_login_success,
)
from fillrate.inventory.models import AdjustmentReason

log = logging.getLogger(__name__)


class AdjustmentForm(forms.Form):
    sku = forms.CharField(label="SKU", max_length=64)
    location = forms.ChoiceField(label="Location", required=False)
    quantity = forms.IntegerField(label="Quantity (+/-)",
                                  help_text="Positive adds stock, negative removes it.")
    reason = forms.ChoiceField(label="Reason", choices=AdjustmentReason.choices)
    note = forms.CharField(label="Note", max_length=500, required=False)

    def __init__(self, *args, location_choices: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["location"].choices = [("", "Default (where it lives)"), *location_choices]

    def clean_quantity(self) -> int:
        quantity = self.cleaned_data["quantity"]
        if quantity == 0:
            raise forms.ValidationError("Quantity cannot be zero.")
        return quantity


class TokenForm(forms.Form):
    name = forms.CharField(label="What is it for?", max_length=100, required=False,
                           help_text="A label to tell your tokens apart, e.g. “shop sync”.")


def parse_date(text: str) -> dt.date | None:
    """A typed ISO date, or None when empty; ValueError for anything else."""
    return dt.date.fromisoformat(text) if text else None


class SignInForm(AuthenticationForm):
    """The sign-in form with the lockout of `fillrate.accounts.throttle`: a
    locked-out name or address is refused before the password is checked."""

    def clean(self):
        username = self.cleaned_data.get("username") or ""
        address = (self.request.META.get("REMOTE_ADDR") or "") if self.request else ""
        lockout = current_lockout(username=username, address=address)
        if lockout is not None:
            log.warning("sign-in refused for %r from %s: locked out by %s",
                        username, address, lockout.reason)
            raise forms.ValidationError(lockout.message, code="locked_out")
        try:
            cleaned = super().clean()
        except forms.ValidationError:
            record_login_failure(username=username, address=address)
            raise
        record_login_success(username=username)
        return cleaned

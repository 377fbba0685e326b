"""Template tags and filters of the staff pages (loaded as builtins)."""

from __future__ import annotations

import re

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeData, mark_safe

from fillrate.web.form_keys import FIELD, new_form_key
from fillrate.web.money import format_money
from fillrate.web.words import plain_message, words

register = template.Library()
TAG = re.compile(r"(<[^>]+>)")


@register.simple_tag
def form_key() -> str:
    """The one-time key of a state-changing form (see `form_keys`).

    `web/form_keys.js` copies the key into the box after the page is parsed:
    a value the page changed is one the browser restores when Back fetches the
    page again, so saving again sends the first key and replays. Without
    JavaScript the form is sent without a key and works as before."""
    return format_html('<input type="text" name="{}" value="" data-form-key="{}" hidden '
                       'autocomplete="on" tabindex="-1" aria-hidden="true">',
                       FIELD, new_form_key())


@register.filter
def money(amount, currency="USD") -> str:
    """`{{ order.total|money:currency }}`: `currency` is the business setting
    every page has in its context (read only when a page shows money)."""
    return format_money(amount, str(currency))


@register.filter(name="words")
def words_filter(name) -> str:
    """`{{ e.type|words }}`: a status, event type or reason in words."""
    return words(name)


@register.filter
def plain(message) -> str:
    """`{{ message|plain }}`: a message with the code names in it in words.
    A message that is HTML (with links) stays HTML: only its text changes."""
    text = getattr(message, "message", message)
    if isinstance(text, SafeData):
        return mark_safe("".join(  # noqa: S308 - tags kept as they were, text was safe
            part if part.startswith("<") else plain_message(part)
            for part in TAG.split(str(text))))
    return plain_message(text)

"""One-time keys on state-changing web forms.

Every form that changes something renders `{% form_key %}`: a hidden field
with a fresh random key. `FormKeyMiddleware` claims that key in the same
transaction as the view's effect, so a resubmitted form (Back and save
again, a double click, a reload that re-posts) is a replay of the first
outcome, not a second effect:

- the first outcome was a redirect (the view did what it was asked, by
  post/redirect/get): the replay redirects to the same page and says the form
  was already saved;
- an htmx request that got a fragment: the replay answers the same fragment.

A form sent back with mistakes (a page re-rendered with errors, or any 4xx)
did nothing, so its key is released: the user corrects it and sends it again.
A 5xx rolls back the whole request. Views that only read (a preview posted
while the form is typed) are marked `@form_key_exempt`.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable

from django.contrib import messages
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect

from fillrate.web.models import FormSubmission

FIELD = "form_key"
MAX_KEY_LENGTH = 64
ALREADY_SAVED = ("Already saved: this form was sent before, so nothing was done again. "
                 "This is what it did.")
API_PREFIX = "/api/"


def new_form_key() -> str:
    return secrets.token_urlsafe(18)


def form_key_exempt(view: Callable) -> Callable:
    """Mark a POST view that changes nothing (so it never claims a key)."""
    view.form_key_exempt = True  # type: ignore[attr-defined]
    return view


def _kept(request: HttpRequest, response: HttpResponse) -> bool:
    """Did the view take effect? By post/redirect/get a page that saved
    something redirects; an htmx fragment below 400 is a saved outcome too."""
    if 300 <= response.status_code < 400:
        return True
    return bool(getattr(request, "htmx", False)) and response.status_code < 400


def _replay(request: HttpRequest, record: FormSubmission) -> HttpResponse:
    if record.location:
        messages.info(request, ALREADY_SAVED)
        return HttpResponseRedirect(record.location)
    response = HttpResponse(bytes(record.body), status=record.status_code or 200,
                            content_type=record.content_type or "text/html; charset=utf-8")
    response["Form-Replayed"] = "true"
    return response


class FormKeyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func: Callable, view_args, view_kwargs):
        if (request.method != "POST" or request.path.startswith(API_PREFIX)
                or getattr(view_func, "form_key_exempt", False)
                or not request.user.is_authenticated):
            return None
        key = request.POST.get(FIELD, "").strip()
        if not key or len(key) > MAX_KEY_LENGTH:
            return None
        with transaction.atomic():
            try:
                with transaction.atomic():
                    record = FormSubmission.objects.create(
                        user=request.user, key=key, path=request.path[:255])
            except IntegrityError:
                return _replay(request, FormSubmission.objects.get(user=request.user, key=key))
            response = view_func(request, *view_args, **view_kwargs)
            if hasattr(response, "render") and callable(response.render):
                response = response.render()
            if response.status_code >= 500:
                transaction.set_rollback(True)
                return response
            if not _kept(request, response):
                record.delete()
                return response
            record.status_code = response.status_code
            if 300 <= response.status_code < 400:
                record.location = response.get("Location", "")
            else:
                record.content_type = response.get("Content-Type", "")
                record.body = response.content
            record.save(update_fields=["status_code", "location", "content_type", "body"])
        return response

"""A Content-Security-Policy on every answer that allows only the service's
own scripts and styles, and templates that need nothing more: no inline
script, no event-handler attributes, no inline styles, no hx-on (the browser
tests fail on any refusal the policy reports)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings

import fillrate

SOURCE = Path(fillrate.__file__).parent
# Emails (templates/*/email/) are no page: the policy does not reach a mail
# client, and mail clients want their styles inline.
TEMPLATES = sorted(p for p in SOURCE.rglob("templates/**/*.html")
                   if "email" not in p.relative_to(SOURCE).parts)
EMAILS = sorted(p for p in SOURCE.rglob("templates/**/*.html")
                if "email" in p.relative_to(SOURCE).parts)
INLINE = [
    (re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I), "an inline <script>"),
    (re.compile(r"<style\b", re.I), "a <style> element"),
    (re.compile(r"\son[a-z]+\s*=", re.I), "an event-handler attribute (onclick=...)"),
    (re.compile(r"\sstyle\s*=", re.I), "an inline style attribute"),
    (re.compile(r"\shx-on(:|-)", re.I), "hx-on (htmx evaluates it: not allowed)"),
    (re.compile(r"javascript:", re.I), "a javascript: URL"),
]


def test_the_policy_allows_only_the_services_own_scripts_and_styles():
    policy = dict(part.strip().split(" ", 1) for part in
                  settings.CONTENT_SECURITY_POLICY.split(";"))
    assert policy["script-src"] == "'self'"
    assert policy["style-src"] == "'self'"
    assert policy["default-src"] == "'self'"
    assert policy["object-src"] == "'none'"
    assert "unsafe" not in settings.CONTENT_SECURITY_POLICY


def test_templates_are_found():
    assert len(TEMPLATES) > 30


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: str(p.relative_to(SOURCE)))
def test_no_template_needs_inline_script_or_style(template):
    text = template.read_text()
    found = [what for pattern, what in INLINE if pattern.search(text)]
    assert found == []


@pytest.mark.parametrize("template", EMAILS, ids=lambda p: str(p.relative_to(SOURCE)))
def test_emails_carry_no_script(template):
    text = template.read_text()
    found = [what for pattern, what in INLINE[:1] + INLINE[2:3] + INLINE[4:]
             if pattern.search(text)]
    assert found == []


def test_htmx_is_configured_for_the_policy(admin_web):
    page = admin_web.get("/backorders/").content.decode()
    config = re.search(r'<meta name="htmx-config" content=\'([^\']*)\'>', page)
    assert config, "base.html names htmx's configuration"
    assert '"includeIndicatorStyles": false' in config.group(1)
    assert '"allowEval": false' in config.group(1)


@pytest.mark.parametrize("path", ["/login/", "/", "/backorders/", "/orders/new/",
                                  "/api/v1/products", "/api/v1/docs", "/api/v1/nope"])
def test_every_answer_carries_the_policy(admin_web, path):
    response = admin_web.get(path)
    assert response["Content-Security-Policy"] == settings.CONTENT_SECURITY_POLICY

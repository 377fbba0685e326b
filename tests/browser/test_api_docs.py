"""/api/v1/docs renders with no internet: Swagger UI's scripts and styles are
served by fillrate itself, and a request to any other host is refused."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest

from tests.api_surface import OPERATIONS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_api_docs_render_offline(tab, live_server):
    from playwright.sync_api import expect

    own = urlsplit(live_server.url).netloc
    elsewhere: list[str] = []
    problems: list[str] = []

    def only_our_host(route):
        url = route.request.url
        if urlsplit(url).scheme in {"http", "https"} and urlsplit(url).netloc != own:
            elsewhere.append(url)
            route.abort()
        else:
            route.continue_()

    tab.route("**/*", only_our_host)
    tab.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
    tab.on("pageerror", lambda exc: problems.append(str(exc)))

    tab.goto(f"{live_server.url}/api/v1/docs")
    expect(tab.locator(".swagger-ui .info .title")).to_contain_text("fillrate")
    blocks = tab.locator(".opblock")
    expect(blocks.first).to_be_visible()
    assert blocks.count() == len(OPERATIONS)
    # one operation opens and shows its documented answers, errors too
    tab.locator(".opblock-summary-path", has_text=re.compile(r"^/api/v1/products/\{sku\}$")
                ).first.click()
    expect(tab.locator(".responses-table").first).to_contain_text("404")
    assert elsewhere == []
    assert problems == []

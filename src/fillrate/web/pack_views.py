"""The pack station and dispatch (the warehouse floor, seed 000) and the
printable packing slip. Each view parses input, calls one service or
selector and renders; refusals are shown on the page and change nothing."""

from __future__ import annotations

from django.http import HttpResponse

from fillrate.core.errors import DomainError
from fillrate.picking.pages import packing_slip_html
from fillrate.web.orders_views import not_found_page
from fillrate.web.permissions import requires


@requires("fulfilment.view")
def packing_slip_page(request, number: str):
    """The printable slip: what is in the box, what is still on backorder."""
    try:
        return HttpResponse(packing_slip_html(number))
    except DomainError as error:
        return not_found_page(request, error)

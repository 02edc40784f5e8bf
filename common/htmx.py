"""Small helpers for HTMX answers: modals succeed with 204 plus an HX-Trigger event the panels listen to."""

import json

from django.http import HttpResponse


def hx_trigger_response(
    *events: str, message: str = "", status: int = 204, close_modal: bool = True
) -> HttpResponse:
    """204 + HX-Trigger: `events` (e.g. "customer:changed") refresh the panels listening for them."""
    payload: dict = {event: True for event in events}
    if message:
        payload["teller:toast"] = {"message": message}
    # Last: closing the modal detaches the element htmx fires these events on, so later ones would not bubble.
    if close_modal:
        payload["teller:close-modal"] = True
    response = HttpResponse(status=status)
    response["HX-Trigger"] = json.dumps(payload)
    return response


def modal_base(request, page: str = "components/_modal_page.html") -> str:
    """The one place that chooses the shell a modal template extends: the modal itself for an HTMX request (it
    goes into #modal), else `page`, which holds the same blocks in a card (every modal link works without
    JavaScript; `page` extends components/_modal_page.html)."""
    return "components/_modal.html" if getattr(request, "htmx", False) else page

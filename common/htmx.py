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

"""The sandbox's hosted payment page: what Stripe Checkout is for a real repayment link.

The customer (no Teller account) opens the link the sandbox put on the Repayment, and "pays" with a POST
(CSRF-protected). The sandbox then emits checkout.session.completed into the merchant's inbox, and the
webhook pipeline records the repayment exactly as it would for Stripe. The unguessable session id is the
capability, as with Stripe's own checkout URLs. Only sandbox merchants' sessions are found here.
"""

from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from payments.base import ProviderError
from sandbox.provider import find_checkout_session, pay_checkout_session


@require_http_methods(["GET", "POST"])
def sandbox_pay(request, session_id: str):
    merchant, session = find_checkout_session(session_id)
    if merchant is None or session.get("object") != "checkout.session":
        raise Http404("No such payment link")
    error = ""
    if request.method == "POST":
        try:
            pay_checkout_session(merchant, session_id=session_id, at=timezone.now())
        except ProviderError as exc:
            error = exc.message
        else:
            return redirect("sandbox:pay", session_id=session_id)
    return render(
        request,
        "sandbox/pay.html",
        {
            "merchant": merchant,
            "session": session,
            "error": error,
            "description": ((session.get("custom_text") or {}).get("submit") or {}).get("message")
            or "Payment",
        },
        status=400 if error else 200,
    )

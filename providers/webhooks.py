"""Verifying a Stripe webhook request before anything is stored."""

import json

import stripe
from django.conf import settings


class BadWebhook(Exception):
    """The request is not a genuine, fresh, parseable Stripe event: answer 400 and store nothing."""


def webhook_verify(*, payload: bytes, signature: str, secret: str) -> dict:
    """Check Stripe-Signature (HMAC-SHA256, merchant secret, 300 s) and parse the event."""
    if not secret:
        raise BadWebhook("This merchant has no webhook secret configured.")
    if not signature:
        raise BadWebhook("Missing Stripe-Signature header.")
    try:
        text = payload.decode("utf-8")
        stripe.WebhookSignature.verify_header(text, signature, secret, settings.STRIPE_WEBHOOK_TOLERANCE)
        event = json.loads(text)
    except (UnicodeDecodeError, ValueError, stripe.SignatureVerificationError) as exc:
        raise BadWebhook(str(exc) or "Invalid signature.") from exc
    if not isinstance(event, dict) or not event.get("id") or event.get("object") != "event":
        raise BadWebhook("The body is not a Stripe event.")
    if not isinstance(event.get("data"), dict) or not isinstance(event["data"].get("object"), dict):
        raise BadWebhook("The event has no data.object.")
    return event

"""Verifying a Stripe webhook request before anything is stored, and making its payload safe to store.

Order matters: the size is checked before anything else, the signature (an HMAC over the raw bytes) before the
JSON is parsed, so an unauthenticated request never costs a parse. A signed event is then refused with 400 and
a reason only when it cannot be stored at all (not JSON, nested absurdly deep, no string id); anything else
odd is stored (see inbox.event_store, which marks a malformed event FAILED) so nothing is lost.
"""

import json
import math
import re

import stripe
from django.conf import settings

# Stripe's events are a few kilobytes, the largest objects (invoices with many lines) well under a megabyte.
# Below Django's DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB), so the view answers the refusal itself.
MAX_BODY_BYTES = 2 * 1024 * 1024
# Stripe objects nest less than 10 levels; 64 keeps every later reader (apply, json.dumps, deepcopy, the
# payload view) far from Python's recursion limit.
MAX_DEPTH = 64
# NUL, which PostgreSQL refuses in jsonb and text, and lone UTF-16 surrogates, which cannot be encoded as
# UTF-8 at all, are stored as U+FFFD: the text stays readable and the character shows where something was.
REPLACEMENT = "\ufffd"
_SUSPECT_ESCAPE = re.compile(rb"\\u(0000|[dD][89a-fA-F])")
_SUSPECT_ESCAPE_TEXT = re.compile(r"\\u(0000|[dD][89a-fA-F])")
_UNSAFE_CHARS = re.compile("[\x00\ud800-\udfff]")


class BadWebhook(Exception):
    """The request is not a genuine, fresh, storable Stripe event: answer 400 and store nothing."""


def webhook_verify(*, payload: bytes, signature: str, secret: str) -> dict:
    """Check size and Stripe-Signature (HMAC-SHA256, merchant secret, 300 s), then parse the event safely."""
    if not secret:
        raise BadWebhook("This merchant has no webhook secret configured.")
    if not signature:
        raise BadWebhook("Missing Stripe-Signature header.")
    if len(payload) > MAX_BODY_BYTES:
        raise BadWebhook(f"The body is {len(payload)} bytes; Teller accepts events up to {MAX_BODY_BYTES}.")
    try:
        text = payload.decode("utf-8")
        stripe.WebhookSignature.verify_header(text, signature, secret, settings.STRIPE_WEBHOOK_TOLERANCE)
    except (UnicodeDecodeError, ValueError, stripe.SignatureVerificationError) as exc:
        raise BadWebhook(str(exc) or "Invalid signature.") from exc
    event = _parse(text)
    # Fewer brackets than the limit cannot nest deeper than it: most events skip the walk.
    if payload.count(b"{") + payload.count(b"[") > MAX_DEPTH and _depth_exceeds(event, MAX_DEPTH):
        raise BadWebhook(f"The event is nested more than {MAX_DEPTH} levels deep.")
    if _SUSPECT_ESCAPE.search(payload):
        event = made_safe(event)
    if not isinstance(event, dict) or event.get("object") != "event":
        raise BadWebhook("The body is not a Stripe event.")
    event_id = event.get("id")
    if not isinstance(event_id, str) or not event_id or len(event_id) > 255:
        raise BadWebhook("The event has no valid id (a string of at most 255 characters).")
    return event


def _reject_constant(name: str):
    raise ValueError(f"{name} is not a JSON number")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):  # 1e999 parses to inf, which neither PostgreSQL nor JSON can hold
        raise ValueError(f"number {text[:20]} is out of range")
    return value


def _parse(text: str):
    try:
        value = json.loads(text, parse_constant=_reject_constant, parse_float=_finite)
    except RecursionError as exc:
        raise BadWebhook(f"The event is nested more than {MAX_DEPTH} levels deep.") from exc
    except ValueError as exc:
        raise BadWebhook(f"The body is not valid JSON: {exc}") from exc
    return value


def _depth_exceeds(value, limit: int) -> bool:
    """Iterative, so it cannot itself hit the recursion limit."""
    stack = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else None
        if children is None:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return False


def _safe_text(text: str) -> str:
    return _UNSAFE_CHARS.sub(REPLACEMENT, text) if _UNSAFE_CHARS.search(text) else text


def storable_text(payload: bytes) -> str | None:
    """The verified body as the text to store, or None when webhook_verify had to clean the event (NUL or a
    surrogate escape): then the cleaned event is serialised instead (safe_json)."""
    return None if _SUSPECT_ESCAPE.search(payload) else payload.decode("utf-8")


def safe_json(event: dict) -> tuple[dict, str]:
    """The event and its JSON text, both cleaned of NUL and lone surrogates if the text shows any."""
    text = json.dumps(event)  # ASCII only: a NUL or a surrogate shows as an escape
    if _SUSPECT_ESCAPE_TEXT.search(text):
        event = made_safe(event)
        text = json.dumps(event)
    return event, text


def made_safe(value):
    """The same JSON with NUL and lone surrogates replaced in every string, keys included (depth bounded)."""
    if isinstance(value, str):
        return _safe_text(value)
    if isinstance(value, dict):
        return {_safe_text(k): made_safe(v) for k, v in value.items()}
    if isinstance(value, list):
        return [made_safe(v) for v in value]
    return value

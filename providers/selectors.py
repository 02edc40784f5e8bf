"""Reads of the inbox for pages outside `providers` (the "Needs attention" queue)."""

from .models import ProviderEvent

ATTENTION_STATUSES = (ProviderEvent.Status.FAILED, ProviderEvent.Status.WAITING)


def events_needing_attention(merchant):
    """Webhook events FAILED or WAITING for a parent, newest first (payload not loaded).

    The partial index `provider_event_attention_idx` holds only these rows."""
    return (
        ProviderEvent.objects.filter(merchant=merchant, status__in=ATTENTION_STATUSES)
        .defer("payload")
        .order_by("-received_at", "-id")
    )

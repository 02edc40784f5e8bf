"""Reads of customers that other apps ask for (the "Needs attention" queue)."""

from .models import Customer, CustomerIdentifier, Identifier

BLOCKED_SCAN = 200  # blocked customers looked at per read (blocked customers are rare: partial index)


def customers_linked_to_blocked(merchant):
    """Customers not blocked who share a card fingerprint or an email with a blocked customer (a queryset).

    Starts from at most BLOCKED_SCAN blocked customers (`customer_blocked_since` on PostgreSQL), their card
    and email details, then the other customers linked to those details. Telegram accounts are not read."""
    blocked = (
        Customer.objects.for_merchant(merchant).filter(is_blocked=True).order_by().values("id")[:BLOCKED_SCAN]
    )
    shared = CustomerIdentifier.objects.filter(
        customer_id__in=blocked, identifier__kind__in=(Identifier.Kind.CARD, Identifier.Kind.EMAIL)
    ).values("identifier_id")
    return (
        Customer.objects.for_merchant(merchant)
        .filter(is_blocked=False, identifier_links__identifier_id__in=shared)
        .distinct()
        .order_by("-first_purchase_at", "-id")
    )

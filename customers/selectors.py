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


SHARED_KINDS = (Identifier.Kind.CARD, Identifier.Kind.BANK_ACCOUNT, Identifier.Kind.EMAIL)


def shared_identifier_links(customer, *, limit: int) -> list[tuple[int, Identifier]]:
    """(other customer id, shared detail) for the customer's cards, bank accounts and emails (emails are
    stored normalised: lower case, without a +tag), at most `limit` pairs, 2 queries."""
    details = {
        link.identifier_id: link.identifier
        for link in CustomerIdentifier.objects.filter(
            customer=customer, identifier__kind__in=SHARED_KINDS
        ).select_related("identifier")
    }
    if not details:
        return []
    pairs = (
        CustomerIdentifier.objects.filter(identifier_id__in=list(details))
        .exclude(customer_id=customer.pk)
        .values_list("customer_id", "identifier_id")
        .order_by("customer_id", "identifier_id")[:limit]
    )
    return [(customer_id, details[identifier_id]) for customer_id, identifier_id in pairs]

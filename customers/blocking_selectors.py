"""Page-shaped reads for the "Manage customer details" modal."""

from django.db.models import Count, Prefetch

from .models import BlockEvent, Customer, CustomerIdentifier, Identifier

# The modal lists payment details first, the customer ID last (the order of the customer page's Info tab).
KIND_ORDER = {
    Identifier.Kind.CARD: 0,
    Identifier.Kind.BANK_ACCOUNT: 1,
    Identifier.Kind.EMAIL: 2,
    Identifier.Kind.CUSTOMER_ID: 3,
}
SHARED_LINKS_SHOWN = 5


def manage_details(customer: Customer) -> list[Identifier]:
    """The customer's details, each with `other_count` (other customers using it), `other_links` (a few of
    them) and `last_events` (the latest BlockEvent, or empty). A fixed number of queries."""
    others = (
        CustomerIdentifier.objects.exclude(customer=customer)
        .select_related("customer")
        .order_by("-last_seen_at", "pk")
    )
    events = BlockEvent.objects.select_related("actor").order_by("-created_at", "-id")
    identifiers = (
        Identifier.objects.for_merchant(customer.merchant)
        .filter(pk__in=CustomerIdentifier.objects.filter(customer=customer).values("identifier"))
        .annotate(linked_count=Count("customer_links"))
        .prefetch_related(
            Prefetch("customer_links", queryset=others[:SHARED_LINKS_SHOWN], to_attr="other_links"),
            Prefetch("block_events", queryset=events[:1], to_attr="last_events"),
        )
    )
    details = sorted(identifiers, key=lambda i: (KIND_ORDER.get(i.kind, 9), i.display or i.value, i.pk))
    for identifier in details:
        identifier.other_count = identifier.linked_count - 1
        identifier.more_count = identifier.other_count - len(identifier.other_links)
    return details

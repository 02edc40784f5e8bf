"""What a block or unblock will do, before it is done: the plans the Manage details and Block all modals show.

The services in `services.py` act on the same sets computed here (`customer_identifiers`, `mirrors_to_radar`,
the same "already in that state" rule), so what a modal shows is what the confirm button does. A plan reads;
it never writes and never calls the provider.
"""

from dataclasses import dataclass, field

from django.db.models import Count, Q

from . import tasks
from .models import Customer, CustomerIdentifier, Identifier

# Identifier kinds Stripe Radar has a value list for (bank accounts have none).
RADAR_KINDS = {Identifier.Kind.CARD, Identifier.Kind.EMAIL, Identifier.Kind.CUSTOMER_ID}
RADAR_LIST_LABELS = {
    Identifier.Kind.CARD: "card fingerprints",
    Identifier.Kind.EMAIL: "emails",
    Identifier.Kind.CUSTOMER_ID: "customer IDs",
}


def customer_identifiers(customer: Customer):
    """Every detail linked to the customer (the set block all and unblock all walk)."""
    return Identifier.objects.for_merchant(customer.merchant).filter(customer_links__customer=customer)


def mirrors_to_radar(identifier: Identifier) -> bool:
    return identifier.kind in RADAR_KINDS and tasks.provider_mirrors_radar(identifier.merchant)


@dataclass(frozen=True)
class DetailChange:
    identifier: Identifier | None  # None: the customer ID detail block all creates first
    label: str
    to_blocked: bool
    radar_list: str  # "" when the change stays in Teller (bank accounts, or no Radar at the provider)
    other_customers: int  # customers besides this one who use the detail and are affected too


@dataclass(frozen=True)
class BlockPlan:
    """The details that change (those already in the target state are left alone and not logged)."""

    customer: Customer
    changes: list[DetailChange] = field(default_factory=list)
    customer_blocked_after: bool = False

    @property
    def radar_changes(self) -> list[DetailChange]:
        return [c for c in self.changes if c.radar_list]

    @property
    def other_customers(self) -> int:
        return sum(c.other_customers for c in self.changes)

    @property
    def changes_nothing(self) -> bool:
        return not self.changes


def block_all_plan(customer: Customer) -> BlockPlan:
    """Block all: every active detail, and the customer ID (created when the provider sync has not yet)."""
    identifiers = list(customer_identifiers(customer).filter(is_blocked=False).order_by("pk"))
    changes = _changes(customer, identifiers, to_blocked=True)
    if not customer_identifiers(customer).filter(kind=Identifier.Kind.CUSTOMER_ID).exists():
        value = customer.provider_customer_id or customer.public_id
        existing = Identifier.objects.filter(
            merchant=customer.merchant, kind=Identifier.Kind.CUSTOMER_ID, value=value
        ).first()
        if existing is None or not existing.is_blocked:
            radar = _radar_list(Identifier(merchant=customer.merchant, kind=Identifier.Kind.CUSTOMER_ID))
            changes.append(DetailChange(None, f"Customer ID {value}", True, radar, 0))
    return BlockPlan(customer=customer, changes=changes, customer_blocked_after=True)


def unblock_all_plan(customer: Customer) -> BlockPlan:
    identifiers = list(customer_identifiers(customer).filter(is_blocked=True).order_by("pk"))
    return BlockPlan(
        customer=customer,
        changes=_changes(customer, identifiers, to_blocked=False),
        customer_blocked_after=False,
    )


def toggles_plan(customer: Customer, wanted: dict[int, bool]) -> BlockPlan:
    """The Manage details switches: {identifier id: blocked?}; unknown ids and no-ops change nothing."""
    identifiers = {i.pk: i for i in customer_identifiers(customer).filter(pk__in=list(wanted))}
    changes = []
    for to_blocked in (True, False):
        moving = [
            identifiers[pk]
            for pk in sorted(wanted)
            if pk in identifiers and wanted[pk] is to_blocked and identifiers[pk].is_blocked is not to_blocked
        ]
        changes += _changes(customer, moving, to_blocked=to_blocked)
    blocked_ids = {
        i.pk for i in customer_identifiers(customer).filter(kind=Identifier.Kind.CUSTOMER_ID, is_blocked=True)
    }
    for change in changes:
        if change.identifier is not None and change.identifier.kind == Identifier.Kind.CUSTOMER_ID:
            (blocked_ids.add if change.to_blocked else blocked_ids.discard)(change.identifier.pk)
    return BlockPlan(customer=customer, changes=changes, customer_blocked_after=bool(blocked_ids))


def _changes(customer: Customer, identifiers: list[Identifier], *, to_blocked: bool) -> list[DetailChange]:
    others = dict(
        CustomerIdentifier.objects.filter(identifier__in=identifiers)
        .values("identifier_id")
        .annotate(n=Count("customer_id", filter=~Q(customer_id=customer.pk)))
        .values_list("identifier_id", "n")
    )
    return [
        DetailChange(
            identifier=i,
            label=f"{i.get_kind_display()} {i.display or i.value}",
            to_blocked=to_blocked,
            radar_list=_radar_list(i),
            other_customers=others.get(i.pk, 0),
        )
        for i in identifiers
    ]


def _radar_list(identifier: Identifier) -> str:
    return RADAR_LIST_LABELS[identifier.kind] if mirrors_to_radar(identifier) else ""

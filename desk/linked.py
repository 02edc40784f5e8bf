"""Linked customers: the other customers of the merchant who share a card (fingerprint), a bank account, an
email (normalised: lower case, no +tag) or a Telegram account with a customer, and "Block all linked".

`linked_customers` reads them for the customer page's Info tab and for the confirmation modal, in a fixed
number of queries whatever the customer's size (each read is bounded). `block_linked` is the flow behind the
confirmation: it blocks the customers the staff member saw listed AND that are still linked and unblocked
when it runs, each through customers' own block all (so each gets its block events, Radar mirror and audit
event, source "Block all linked"), plus one audit event on the customer it was started from, all in one
transaction. A customer unlinked or blocked by someone else meanwhile is left out and counted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction

from access.selectors import shared_telegram_accounts
from audit.models import AuditAction
from audit.services import audit_record
from customers.models import BlockEvent, Customer
from customers.selectors import shared_identifier_links
from customers.services import BlockingError, check_block_reason, customer_block_all

from .selectors.customer_list import attach_list_facts

LINKED_SHOWN = 50  # customers listed (and blockable in one confirmation)
PAIRS_SCANNED = 1000  # (customer, detail) pairs read per kind of link


@dataclass
class Share:
    kind: str  # "Card", "Bank account", "Email", "Telegram"
    display: str


@dataclass
class LinkedCustomer:
    customer: Customer
    shares: list[Share] = field(default_factory=list)


@dataclass
class Linked:
    rows: list[LinkedCustomer]
    more: bool  # more linked customers exist than are listed

    @property
    def unblocked(self) -> list[LinkedCustomer]:
        return [row for row in self.rows if not row.customer.is_blocked]


def linked_customers(customer: Customer) -> Linked:
    """Customers sharing a detail with `customer`, most shared first: about 6 queries."""
    shares: dict[int, list[Share]] = {}
    share_of: dict[int, Share] = {}  # one Share per shared detail, however many customers share it
    for customer_id, identifier in shared_identifier_links(customer, limit=PAIRS_SCANNED):
        share = share_of.get(identifier.pk)
        if share is None:
            share = share_of[identifier.pk] = Share(
                identifier.get_kind_display(), identifier.display or identifier.value
            )
        shares.setdefault(customer_id, []).append(share)
    for shared in shared_telegram_accounts(customer, limit=PAIRS_SCANNED):
        row = shares.setdefault(shared.customer_id, [])
        if not any(s.kind == "Telegram" and s.display == shared.account for s in row):
            row.append(Share("Telegram", shared.account))
    ranked = sorted(shares, key=lambda cid: (-len(shares[cid]), cid))
    listed = ranked[:LINKED_SHOWN]
    customers = {
        c.pk: c
        for c in Customer.objects.for_merchant(customer.merchant_id)
        .filter(pk__in=listed)
        .only("id", "merchant_id", "public_id", "name", "email", "is_blocked", "first_purchase_at")
    }
    rows = [LinkedCustomer(customers[cid], shares[cid]) for cid in listed if cid in customers]
    attach_list_facts([row.customer for row in rows])
    return Linked(rows=rows, more=len(ranked) > LINKED_SHOWN)


def block_linked(
    *, actor, now: datetime, customer: Customer, chosen: set[int], reason: str, reason_text: str = ""
) -> list[Customer]:
    """Block all details of each chosen customer still linked to `customer` and not blocked yet; returns
    those blocked. Raises BlockingError for an invalid reason or when none of the chosen can be blocked."""
    check_block_reason(reason, reason_text)
    with transaction.atomic():
        still_linked = {row.customer.pk for row in linked_customers(customer).rows}
        targets = list(
            Customer.objects.for_merchant(customer.merchant_id)
            .select_for_update()
            .filter(pk__in=sorted(chosen & still_linked), is_blocked=False)
            .order_by("pk")
        )
        if not targets:
            raise BlockingError("None of these customers is still linked and unblocked: nothing changed.")
        for target in targets:
            customer_block_all(
                actor=actor,
                now=now,
                customer=target,
                reason=reason,
                reason_text=reason_text,
                source=BlockEvent.Source.BLOCK_LINKED,
            )
        audit_record(
            merchant=customer.merchant,
            actor=actor,
            action=AuditAction.CUSTOMER_BLOCK_LINKED,
            target=customer,
            now=now,
            customer=customer,
            data={
                "blocked": [t.public_id for t in targets],
                "skipped": len(chosen) - len(targets),
                "reason": reason,
            },
        )
    return targets

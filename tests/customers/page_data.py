"""A customer with a given number of purchases and transactions, built with bulk_create so that the
10,000-transaction customer of the query-count tests and of bench/customer_page.py takes seconds."""

from datetime import timedelta

from django.utils import timezone

from access.models import AccessGrant
from audit.models import AuditEvent
from customers.models import BlockEvent, Customer, CustomerIdentifier, Identifier, PaymentMethod
from providers.models import ProviderEvent
from purchases.models import Product, Purchase
from tests import factories
from transactions.models import Note, Transaction

STATUSES = [
    Purchase.Status.ACTIVE,
    Purchase.Status.TRIALING,
    Purchase.Status.PAST_DUE,
    Purchase.Status.CANCELED,
    Purchase.Status.EXPIRED,
    Purchase.Status.UNPAID,
]


def build_customer(merchant, *, purchases: int, transactions: int, actor=None, tag: str = "") -> Customer:
    now = timezone.now()
    tag = tag or f"{purchases}x{transactions}"
    customer = factories.CustomerFactory(merchant=merchant, name=f"Page Customer {tag}")
    products = [
        factories.ProductFactory(merchant=merchant, name=f"Premium {tag}"),
        factories.ProductFactory(merchant=merchant, name=f"Course {tag}", one_time=True),
        factories.ProductFactory(merchant=merchant, name=f"VIP {tag}", allows_access_codes=True),
    ]
    kinds = [Purchase.Kind.SUBSCRIPTION, Purchase.Kind.ONE_TIME, Purchase.Kind.ACCESS_CODE]
    rows = []
    for i in range(purchases):
        kind = kinds[i % 3]
        rows.append(
            Purchase(
                merchant=merchant,
                customer=customer,
                product=products[i % 3],
                kind=kind,
                status=STATUSES[i % len(STATUSES)],
                cancel_at_period_end=(i % 7 == 0),
                provider_subscription_id=f"sub_{tag}_{i}" if kind == Purchase.Kind.SUBSCRIPTION else None,
                amount=1999,
                currency="eur",
                interval="month" if kind == Purchase.Kind.SUBSCRIPTION else "",
                started_at=now - timedelta(days=400 - i),
                current_period_end_at=now + timedelta(days=20),
            )
        )
    Purchase.objects.bulk_create(rows)
    bought = list(Purchase.objects.filter(customer=customer).order_by("id"))
    card = factories.IdentifierFactory(merchant=merchant, value=f"fp_{tag}")
    email = factories.IdentifierFactory(
        merchant=merchant, email=True, value=f"{tag}@example.org", blocked=True
    )
    CustomerIdentifier.objects.bulk_create(
        [
            CustomerIdentifier(customer=customer, identifier=card, last_seen_at=now),
            CustomerIdentifier(customer=customer, identifier=email, last_seen_at=now),
        ]
    )
    kinds_cycle = [Transaction.Kind.CHARGE] * 8 + [Transaction.Kind.REFUND, Transaction.Kind.CHARGEBACK]
    txns = []
    for i in range(transactions):
        kind = kinds_cycle[i % len(kinds_cycle)]
        status = {Transaction.Kind.CHARGEBACK: Transaction.Status.NEEDS_RESPONSE}.get(
            kind, Transaction.Status.SUCCEEDED
        )
        txns.append(
            Transaction(
                merchant=merchant,
                customer=customer,
                purchase=bought[i % len(bought)] if bought else None,
                kind=kind,
                status=status,
                amount=1000 + i % 900,
                currency="usd" if i % 5 == 0 else "eur",
                method_type="card",
                method_brand="visa",
                method_last4="4242",
                method_exp_month=4,
                method_exp_year=2030,
                method_country="DE",
                identifier=card,
                provider_id=f"ch_{tag}_{i}",
                occurred_at=now - timedelta(minutes=7 * i),
            )
        )
    Transaction.objects.bulk_create(txns, batch_size=2000)
    first = Transaction.objects.filter(customer=customer).order_by("id").first()
    if first:
        ProviderEvent.objects.bulk_create(
            [
                ProviderEvent(
                    merchant=merchant,
                    provider_event_id=f"evt_{tag}_{i}",
                    type="customer.subscription.updated" if i % 2 else "charge.succeeded",
                    payload={"id": f"evt_{tag}_{i}"},
                    customer=customer,
                    provider_created_at=now - timedelta(hours=i),
                    received_at=now - timedelta(hours=i),
                    status=ProviderEvent.Status.PROCESSED,
                    object_id=first.provider_id,
                )
                for i in range(min(transactions, 200))
            ]
        )
        Note.objects.bulk_create(
            [
                Note(
                    merchant=merchant,
                    transaction=first,
                    author=actor,
                    body=f"Note {i}",
                    created_at=now - timedelta(hours=i),
                )
                for i in range(min(transactions, 50))
            ]
        )
    AuditEvent.objects.bulk_create(
        [
            AuditEvent(
                merchant=merchant,
                actor=actor,
                action="note.add",
                target_type="transactions.Transaction",
                target_id="1",
                target_repr="Charge",
                customer=customer,
                created_at=now - timedelta(hours=i),
            )
            for i in range(min(transactions, 50))
        ]
    )
    BlockEvent.objects.bulk_create(
        [
            BlockEvent(
                merchant=merchant,
                identifier=email,
                action=BlockEvent.Action.BLOCK,
                actor=actor,
                reason=BlockEvent.Reason.FRAUD,
                customer=customer,
                created_at=now - timedelta(days=i),
            )
            for i in range(min(transactions, 20))
        ]
    )
    PaymentMethod.objects.bulk_create(
        [
            PaymentMethod(
                merchant=merchant,
                customer=customer,
                identifier=card,
                provider_id=f"pm_{tag}_{i}",
                type="card",
                brand="visa",
                last4=f"{i:04d}",
                exp_month=4,
                exp_year=2030,
                is_default=(i == 0),
            )
            for i in range(min(purchases, 5))
        ]
    )
    if bought:
        chat = factories.TelegramChatFactory(merchant=merchant)
        account = factories.TelegramAccountFactory(merchant=merchant, customer=customer)
        AccessGrant.objects.bulk_create(
            [
                AccessGrant(
                    merchant=merchant,
                    purchase=p,
                    chat=chat,
                    account=account,
                    granted_at=now,
                    status=AccessGrant.Status.REVOKE_PENDING,
                    last_error="Bot is not an admin",
                )
                for p in bought[:30]
            ]
        )
    return customer


__all__ = ["build_customer", "Identifier", "Product"]

"""Fill the database with a large, realistically shaped book of business for the scale benchmarks.

    manage.py seed_bulk --customers 1000000 --transactions-per-customer 10

On PostgreSQL rows stream in through COPY (ids reserved from the sequences up front); on SQLite it falls back
to bulk_create, fine for small sizes. The shape: most customers have a handful of transactions, a few "whales"
have thousands (and hundreds of purchases), so the heaviest customer page is a real stress case.
Rows go into a merchant of their own (--merchant, default "bulk"), so the demo data is untouched.
The value pools and the loader (COPY, reserved ids, secondary indexes) are in sandbox/demo/bulk_load.py.
"""

import math
import random
import time
from datetime import UTC, datetime, timedelta

from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from tqdm import tqdm

from customers.models import Customer, CustomerIdentifier, Identifier
from merchants.models import Membership, Merchant, Role, User
from purchases.models import Product, Purchase
from sandbox.demo.bulk_load import (
    AMOUNTS,
    BATCH,
    BRANDS,
    CHARGEBACK_STATUSES,
    COUNTRIES,
    CURRENCY_POOL,
    DOMAINS,
    FIRST,
    JPY_AMOUNTS,
    LAST,
    PURCHASE_STATUS_POOL,
    BatchLoader,
    SecondaryIndexes,
    b36,
    reserve_ids,
)
from transactions.models import Transaction

WHALE_TRANSACTIONS = 10_000
WHALE_PURCHASES = 300


class Command(BaseCommand):
    help = "Bulk-load customers, purchases and transactions for the scale benchmarks (COPY on PostgreSQL)."

    def add_arguments(self, parser):
        parser.add_argument("--customers", type=int, default=10_000)
        parser.add_argument("--transactions-per-customer", type=int, default=10)
        parser.add_argument("--merchant", default="bulk")
        parser.add_argument(
            "--whales", type=int, default=None, help="Customers with 10,000 transactions each."
        )
        parser.add_argument("--seed", type=int, default=42)
        parser.add_argument(
            "--keep-indexes",
            dest="drop_indexes",
            action="store_false",
            help="Maintain secondary indexes row by row instead of dropping and rebuilding them "
            "(PostgreSQL).",
        )

    def handle(self, *args, customers, transactions_per_customer, merchant, whales, seed, **options):
        if customers < 1 or transactions_per_customer < 1:
            raise CommandError("--customers and --transactions-per-customer must be at least 1")
        self.rng = random.Random(seed)
        self.now = datetime.now(UTC)
        self.now_text = self.now.isoformat()
        self.recent = [(self.now - timedelta(days=d)).isoformat() for d in range(31)]
        self.period_start = (self.now - timedelta(days=10)).isoformat()
        self.period_end = (self.now + timedelta(days=20)).isoformat()
        started = time.monotonic()
        self.merchant, owner_email = self._merchant(merchant)
        self.merchant_id = str(self.merchant.id)
        self.products = self._products()
        whales = whales if whales is not None else max(1, customers // 200_000)
        counts = self._transaction_counts(customers, transactions_per_customer, whales)
        total_txn = sum(counts)
        self.stdout.write(
            f"Loading {customers:,} customers and {total_txn:,} transactions into '{merchant}'…"
        )
        with SecondaryIndexes(enabled=options["drop_indexes"] and total_txn >= 200_000, out=self.stdout):
            with tqdm(
                total=customers + total_txn, unit="rows", unit_scale=True, disable=options["verbosity"] < 1
            ) as bar:
                self._load(counts, whales, bar)
        if connection.vendor == "postgresql":
            # VACUUM, not only ANALYZE: it sets the visibility map, so the covering indexes (customer-page
            # stats) serve index-only scans right away instead of after autovacuum gets round to 10M fresh
            # rows.
            with connection.cursor() as cursor:
                for model in (Customer, Purchase, Transaction, Identifier, CustomerIdentifier):
                    cursor.execute(f"VACUUM (ANALYZE) {model._meta.db_table}")
        elapsed = time.monotonic() - started
        self.stdout.write(
            self.style.SUCCESS(
                f"Done in {elapsed:,.0f} s ({(customers + total_txn) / max(elapsed, 1e-9):,.0f} rows/s). "
                f"Sign in as {owner_email} / bulk-password-2026 to browse merchant '{merchant}'."
            )
        )

    def _merchant(self, slug):
        merchant, _ = Merchant.objects.get_or_create(slug=slug, defaults={"name": f"Bulk {slug}"})
        email = f"owner@{slug}.teller.local"
        user = User.objects.filter(email=email).first() or User.objects.create_user(
            email, "bulk-password-2026"
        )
        Membership.objects.get_or_create(user=user, merchant=merchant, defaults={"role": Role.OWNER})
        return merchant, email

    def _products(self):
        specs = [
            ("Premium monthly", "SUBSCRIPTION", 1999, "month"),
            ("Premium yearly", "SUBSCRIPTION", 19900, "year"),
            ("Signals channel", "SUBSCRIPTION", 4900, "month"),
            ("Masterclass", "ONE_TIME", 9900, ""),
            ("E-book bundle", "ONE_TIME", 2900, ""),
        ]
        return [
            Product.objects.get_or_create(
                merchant=self.merchant,
                provider_product_id=f"prod_bulk_{i}",
                defaults={
                    "name": name,
                    "kind": kind,
                    "amount": amount,
                    "currency": "eur",
                    "interval": interval,
                },
            )[0]
            for i, (name, kind, amount, interval) in enumerate(specs)
        ]

    def _transaction_counts(self, customers, mean, whales):
        """Most customers have a handful (geometric around the mean), a few whales have thousands."""
        counts = [WHALE_TRANSACTIONS] * min(whales, customers)
        rest_mean = max(1.0, (customers * mean - sum(counts)) / max(customers - len(counts), 1))
        q = 1.0 - 1.0 / rest_mean
        cap = int(50 * rest_mean)
        while len(counts) < customers:
            # geometric distribution (support 1, 2, ...) with mean rest_mean, by inverse transform
            u = 1.0 - self.rng.random()
            k = 1 if q <= 0 else 1 + int(math.log(u) / math.log(q))
            counts.append(min(k, cap))
        return counts

    def _load(self, counts, whales, bar):
        customers = len(counts)
        purchase_counts = [WHALE_PURCHASES if i < whales else 1 for i in range(customers)]
        cust_start = reserve_ids(Customer, customers)
        purch_start = reserve_ids(Purchase, sum(purchase_counts))
        txn_start = reserve_ids(Transaction, sum(counts))
        next_purchase, next_txn = purch_start, txn_start
        cust_rows, purch_rows, txn_rows = [], [], []
        with BatchLoader(bar) as loader:
            for i in range(customers):
                cid = cust_start + i
                since = self.now - timedelta(
                    days=self.rng.randint(1, 1500), seconds=self.rng.randint(0, 86399)
                )
                cust_rows.append(self._customer_row(cid, since))
                purchase_ids = list(range(next_purchase, next_purchase + purchase_counts[i]))
                next_purchase += purchase_counts[i]
                for pid in purchase_ids:
                    purch_rows.append(self._purchase_row(pid, cid, since))
                since_ts, span = since.timestamp(), max(1.0, (self.now - since).total_seconds())
                for _ in range(counts[i]):
                    pid = purchase_ids[0] if len(purchase_ids) == 1 else self.rng.choice(purchase_ids)
                    txn_rows.append(self._transaction_row(next_txn, cid, pid, since_ts, span))
                    next_txn += 1
                if len(txn_rows) >= BATCH or i == customers - 1:
                    loader.put(cust_rows, purch_rows, txn_rows)
                    cust_rows, purch_rows, txn_rows = [], [], []
        self._whale_identifiers(cust_start, whales)

    # Row builders return values already in COPY text: generated values never hold tabs, newlines or
    # backslashes, so the 10M-row hot path skips escaping. NULL is \N, booleans t / f.

    def _customer_row(self, cid, since):
        rng = self.rng
        first, last = rng.choice(FIRST), rng.choice(LAST)
        since_text = since.isoformat()
        return {
            "id": str(cid),
            "merchant_id": self.merchant_id,
            "public_id": ("B" + b36(cid)).rjust(12, "0"),
            "provider_customer_id": f"cus_B{cid:012d}",
            "name": f"{first} {last}",
            "email": f"{first}.{last}{cid}@{rng.choice(DOMAINS)}".lower(),
            "country": rng.choice(COUNTRIES),
            "providers_used": '["STRIPE"]',
            "used_access_code": "t" if rng.random() < 0.05 else "f",
            "first_purchase_at": since_text,
            "last_purchase_at": self.recent[rng.randrange(31)],
            "created_at": since_text,
            "updated_at": self.now_text,
        }

    def _purchase_row(self, pid, cid, since):
        rng = self.rng
        product = rng.choice(self.products)
        sub = product.kind == "SUBSCRIPTION"
        since_text = since.isoformat()
        return {
            "id": str(pid),
            "merchant_id": self.merchant_id,
            "customer_id": str(cid),
            "product_id": str(product.id),
            "kind": product.kind,
            "status": rng.choice(PURCHASE_STATUS_POOL) if sub else "ACTIVE",
            "provider_subscription_id": f"sub_B{pid:012d}" if sub else r"\N",
            "amount": str(product.amount),
            "currency": "eur",
            "interval": product.interval,
            "started_at": since_text,
            "current_period_start_at": self.period_start if sub else r"\N",
            "current_period_end_at": self.period_end if sub else r"\N",
            "cancel_at_period_end": "t" if sub and rng.random() < 0.05 else "f",
            "created_at": since_text,
            "updated_at": self.now_text,
        }

    def _transaction_row(self, tid, cid, pid, since_ts, span):
        rng = self.rng
        currency = rng.choice(CURRENCY_POOL)
        amount = rng.choice(JPY_AMOUNTS if currency == "jpy" else AMOUNTS)
        kind, status, refunded = "CHARGE", "SUCCEEDED", 0
        roll = rng.random()
        if roll < 0.04:
            status = "FAILED"
        elif roll < 0.07:
            status, refunded = "REFUNDED", amount
        elif roll < 0.09:
            status, refunded = "PARTIALLY_REFUNDED", amount // 2
        elif roll < 0.095:
            kind, status = "CHARGEBACK", rng.choice(CHARGEBACK_STATUSES)
        sepa = rng.random() < 0.15
        occurred = datetime.fromtimestamp(since_ts + rng.random() * span, UTC).isoformat()
        return {
            "id": str(tid),
            "merchant_id": self.merchant_id,
            "customer_id": str(cid),
            "purchase_id": str(pid),
            "kind": kind,
            "status": status,
            "amount": str(amount),
            "currency": currency,
            "refunded_amount": str(refunded),
            "method_type": "sepa_debit" if sepa else "card",
            "method_brand": "" if sepa else rng.choice(BRANDS),
            "method_last4": f"{rng.randrange(10000):04d}",
            "method_country": "DE",
            "provider_id": f"{'dp' if kind == 'CHARGEBACK' else 'ch'}_B{tid:014d}",
            "occurred_at": occurred,
            "created_at": occurred,
            "updated_at": occurred,
        }

    def _whale_identifiers(self, cust_start, whales):
        """Payment details for the whales, so their Info tab and blocking have something real to show."""
        for cid in range(cust_start, cust_start + whales):
            customer = Customer.objects.get(pk=cid)
            for kind, value, display in [
                (Identifier.Kind.CUSTOMER_ID, customer.provider_customer_id, customer.provider_customer_id),
                (Identifier.Kind.EMAIL, customer.email, customer.email),
                (Identifier.Kind.CARD, f"fp_bulk_{cid}", "Visa •••• 4242, 04/28"),
            ]:
                identifier, _ = Identifier.objects.get_or_create(
                    merchant=self.merchant, kind=kind, value=value, defaults={"display": display}
                )
                CustomerIdentifier.objects.get_or_create(customer=customer, identifier=identifier)

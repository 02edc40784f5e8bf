"""The inbox's staff pages at the size bench/webhooks.py --inbox-size leaves: server-side p50 / p95 of the
Webhooks page (newest first, each status filter, type prefixes that match many events and none, its second
page), an event's page and a transaction's page with its IPN panel, for the merchant holding the events.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/teller_inbox5m REDIS_URL=redis://127.0.0.1:6379/2 \\
      .venv/bin/python bench/webhooks.py --inbox-size 5000000 --events 2000      # fills the inbox once
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/teller_inbox5m .venv/bin/python bench/inbox_pages.py

Timed like bench/scale.py (its `measure`: the test client, the full stack, SQL time beside p95). A staff
user with an owner's membership of the archive merchant and one transaction whose IPN log holds an archive
event are created on the first run.
"""

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from scale import measure  # noqa: E402  (sets Django up, as for bench/scale.py)

# isort: split

from django.test import Client  # noqa: E402

from customers.models import Customer  # noqa: E402
from merchants.models import Membership, Merchant, Role, User  # noqa: E402
from providers.models import ProviderEvent  # noqa: E402
from transactions.models import Transaction  # noqa: E402

ARCHIVE_SLUG = "bench-archive"  # bench/webhooks.py fill_inbox
TARGET_MS = 150


def _staff(merchant) -> User:
    email = "inbox-bench@teller.local"
    user = User.objects.filter(email=email).first() or User.objects.create_user(email, "inbox-bench-password")
    Membership.objects.get_or_create(user=user, merchant=merchant, defaults={"role": Role.OWNER})
    return user


def _transaction_with_ipn_log(merchant) -> Transaction:
    """A charge whose provider id is an archive event's object: its IPN panel reads the 5M-row inbox."""
    object_id = (
        ProviderEvent.objects.filter(merchant=merchant, object_id__startswith="ch_archive_")
        .order_by("pk")
        .values_list("object_id", flat=True)[:1]
        .get()
    )
    customer, _ = Customer.objects.get_or_create(
        merchant=merchant, email="inbox-bench@example.org", defaults={"name": "Inbox Bench"}
    )
    txn, _ = Transaction.objects.get_or_create(
        merchant=merchant,
        provider_id=object_id,
        defaults={
            "customer": customer,
            "kind": Transaction.Kind.CHARGE,
            "status": Transaction.Status.SUCCEEDED,
            "amount": 4900,
            "currency": "eur",
            "occurred_at": ProviderEvent.objects.filter(object_id=object_id).values_list(
                "provider_created_at", flat=True
            )[0],
        },
    )
    return txn


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--merchant", default=ARCHIVE_SLUG)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()

    merchant = Merchant.objects.get(slug=args.merchant)
    client = Client()
    client.force_login(_staff(merchant))
    events = ProviderEvent.objects.filter(merchant=merchant)
    stored = events.count()
    newest = events.order_by("-pk").values_list("pk", flat=True)[:60]
    txn = _transaction_with_ipn_log(merchant)
    print(f"merchant {merchant.slug}: {stored:,} stored events; runs={args.runs}\n")

    cases = [
        ("Webhooks page", "/events/"),
        ("  status PROCESSED", "/events/?status=PROCESSED"),
        ("  status FAILED", "/events/?status=FAILED"),
        ("  status IGNORED", "/events/?status=IGNORED"),
        ("  status RECEIVED", "/events/?status=RECEIVED"),
        ("  type prefix charge. (most events)", "/events/?type=charge."),
        ("  type prefix customer. (the recent ones)", "/events/?type=customer."),
        ("  type prefix invoice. (none)", "/events/?type=invoice."),
        ("  second page (keyset)", f"/events/?after={newest[49]}"),
        ("an event's page", f"/events/{newest[0]}/"),
        ("a transaction's page (IPN panel)", f"/transactions/{txn.pk}/"),
    ]
    header = (
        f"{'case':44} {'p50 ms':>8} {'p95 ms':>8} {'sql p95':>8} {'cpu p50':>8} {'queries':>8} {'target':>7}"
    )
    print(header)
    print("-" * len(header))
    misses = []
    for label, url in cases:
        p50, p95, n_queries, cpu, sql95 = measure(client, url, args.runs)
        ok = "ok" if p95 < TARGET_MS else "MISS"
        if p95 >= TARGET_MS:
            misses.append(f"{label.strip()}: p95 {p95:.1f} ms")
        print(
            f"{label:44} {p50:8.1f} {p95:8.1f} {sql95:8.1f} {cpu:8.1f} {n_queries:8d} {TARGET_MS:>5}{ok:>3}"
        )
    print()
    print("all targets met" if not misses else "targets missed:\n  " + "\n  ".join(misses))


if __name__ == "__main__":
    main()

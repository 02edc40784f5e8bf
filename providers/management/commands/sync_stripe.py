"""manage.py sync_stripe --merchant <slug> [--since ISO]: reconcile Teller with Stripe.

Pages through Stripe's events (stored through the same inbox, so a replayed event is a no-op) and then
through the objects themselves (customers, payment methods, subscriptions, charges, invoices, invoice
payments, refunds, disputes), applying each through providers.apply. Invoices and invoice payments come after
the charges: since 2025-03-31 they are the only link between a charge and its subscription.
Applies are ordered and idempotent, so running it twice is safe.
"""

from datetime import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from tqdm import tqdm

from merchants.models import Merchant
from payments.base import ProviderError
from providers.apply import apply_object
from providers.inbox import event_store
from providers.inbox_apply import event_process
from providers.stripe import StripeProvider

OBJECT_TYPES = ("customer", "subscription", "charge", "invoice", "invoice_payment", "refund", "dispute")


class Command(BaseCommand):
    help = "Page through Stripe's events and objects and apply what Teller is missing."

    def add_arguments(self, parser):
        parser.add_argument("--merchant", required=True, help="Merchant slug.")
        parser.add_argument("--since", help="ISO datetime: only events/objects created after it.")
        parser.add_argument("--skip-events", action="store_true")
        parser.add_argument("--skip-objects", action="store_true")

    def handle(self, *args, merchant, since=None, skip_events=False, skip_objects=False, **options):
        merchant_row = Merchant.objects.filter(slug=merchant).first()
        if merchant_row is None:
            raise CommandError(f"No merchant {merchant!r}.")
        if merchant_row.provider != Merchant.Provider.STRIPE:
            raise CommandError(f"{merchant} does not use Stripe.")
        params = {"limit": 100}
        if since:
            since_at = parse_datetime(since) or _date(since)
            if since_at is None:
                raise CommandError(f"--since {since!r} is not an ISO date or datetime.")
            if timezone.is_naive(since_at):
                since_at = timezone.make_aware(since_at, timezone.UTC)
            params["created"] = {"gte": int(since_at.timestamp())}
        provider = StripeProvider(merchant_row)
        try:
            if not skip_events:
                self._sync_events(provider, merchant_row, params)
            if not skip_objects:
                for object_type in OBJECT_TYPES:
                    try:
                        self._sync_objects(provider, merchant_row, object_type, params)
                    except ProviderError as exc:  # e.g. a server that cannot list this type: go on
                        self.stderr.write(f"{object_type}: not synced ({exc.message})")
        except ProviderError as exc:
            raise CommandError(f"Stripe: {exc.message}") from exc

    def _sync_events(self, provider, merchant, params):
        stored = applied = 0
        for event in tqdm(provider.list_all("event", params), desc="events", unit="evt", disable=None):
            row, created = event_store(merchant=merchant, event=event, now=timezone.now())
            if created:
                stored += 1
            if row.status == "RECEIVED":
                try:
                    event_process(event_id=row.pk, now=timezone.now())
                    applied += 1
                except Exception as exc:  # recorded on the event (FAILED, replayable)
                    self.stderr.write(f"{row.provider_event_id}: {exc}")
        self.stdout.write(f"events: {stored} new, {applied} applied")

    def _sync_objects(self, provider, merchant, object_type, params):
        count = 0
        if object_type == "subscription":
            params = {**params, "status": "all"}  # Stripe lists only live subscriptions by default
        for obj in tqdm(provider.list_all(object_type, params), desc=object_type, unit="obj", disable=None):
            try:
                apply_object(merchant=merchant, obj=obj, now=timezone.now())
                count += 1
            except Exception as exc:  # one bad object must not stop the reconciliation
                self.stderr.write(f"{object_type} {obj.get('id')}: {exc}")
            if object_type == "customer":
                self._sync_payment_methods(provider, merchant, obj["id"])
        self.stdout.write(f"{object_type}: {count} applied")

    def _sync_payment_methods(self, provider, merchant, customer_id):
        try:
            params = {"customer": customer_id, "type": "card", "limit": 100}
            for pm in provider.list_all("payment_method", params):
                apply_object(merchant=merchant, obj=pm, now=timezone.now())
        except ProviderError as exc:
            self.stderr.write(f"payment methods of {customer_id}: not synced ({exc.message})")


def _date(value: str) -> datetime | None:
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None

"""manage.py replay_events [--merchant slug] [--status FAILED] [--id ...] [--sync]: queue events again."""

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from providers.inbox import send_to_worker
from providers.inbox_apply import event_process
from providers.models import ProviderEvent


class Command(BaseCommand):
    help = "Queue FAILED (or --status IGNORED / RECEIVED) events again, or apply them here with --sync."

    def add_arguments(self, parser):
        parser.add_argument("--merchant", help="Merchant slug (default: every merchant).")
        parser.add_argument("--status", default="FAILED", choices=["FAILED", "IGNORED", "RECEIVED"])
        parser.add_argument("--id", dest="ids", nargs="*", default=[], help="ProviderEvent pks or evt_ ids.")
        parser.add_argument("--sync", action="store_true", help="Apply in this process instead of a worker.")

    def handle(self, *args, merchant=None, status="FAILED", ids=(), sync=False, **options):
        events = ProviderEvent.objects.filter(status=status)
        if merchant:
            events = events.filter(merchant__slug=merchant)
        if ids:
            pks = [int(i) for i in ids if i.isdigit()]
            evt_ids = [i for i in ids if not i.isdigit()]
            events = events.filter(pk__in=pks) | events.filter(provider_event_id__in=evt_ids)
        pks = list(events.order_by("provider_created_at", "pk").values_list("pk", flat=True))
        if ids and not pks:
            raise CommandError(f"No {status} events match {', '.join(ids)}.")
        ProviderEvent.objects.filter(pk__in=pks).update(status=ProviderEvent.Status.RECEIVED, error="")
        done = 0
        for pk in pks:
            if sync:
                try:
                    event_process(event_id=pk, now=timezone.now())
                except Exception as exc:  # recorded on the event; keep going
                    self.stderr.write(f"event {pk}: {exc}")
                done += 1
            else:
                done += send_to_worker(pk)
        self.stdout.write(
            self.style.SUCCESS(f"{done} of {len(pks)} event(s) {'applied' if sync else 'queued'}.")
        )

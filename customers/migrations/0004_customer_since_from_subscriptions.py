"""Customers whose only purchase is a subscription that has started (a trial, say) had no "customer since":
the date came from charges alone. Give them their earliest started subscription's start, as the apply path now
does for new events."""

from django.db import migrations
from django.db.models import Min, OuterRef, Subquery

NOT_STARTED = ("INCOMPLETE", "INCOMPLETE_EXPIRED")


def forwards(apps, schema_editor):
    Customer = apps.get_model("customers", "Customer")
    Purchase = apps.get_model("purchases", "Purchase")
    started = (
        Purchase.objects.filter(customer=OuterRef("pk"), kind="SUBSCRIPTION", started_at__isnull=False)
        .exclude(status__in=NOT_STARTED)
        .order_by()
        .values("customer")
        .annotate(first=Min("started_at"))
        .values("first")[:1]
    )
    has_started = Purchase.objects.filter(kind="SUBSCRIPTION", started_at__isnull=False).exclude(
        status__in=NOT_STARTED
    )
    Customer.objects.filter(first_purchase_at__isnull=True, pk__in=has_started.values("customer")).update(
        first_purchase_at=Subquery(started)
    )


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0003_block_event_source_unblock_all"),
        ("purchases", "0001_initial"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]

"""Reads of merchants that are not a page's: the webhook endpoints' lookup."""

from dataclasses import dataclass

from django.db import connection

from .models import Merchant


@dataclass(frozen=True, slots=True)
class WebhookEndpoint:
    merchant_id: int
    secret: str


def stripe_webhook_endpoint(slug: str) -> WebhookEndpoint | None:
    """The merchant of a webhook URL and its Stripe webhook secret (decrypted), or None.

    One indexed SELECT of two columns without the ORM's query building: this runs for every event Stripe
    sends (hundreds a second), where the ORM's compile step cost more than the query itself.
    """
    table, column = Merchant._meta.db_table, Merchant._meta.get_field("stripe_webhook_secret")
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {quote('id')}, {quote(column.column)} FROM {quote(table)} WHERE {quote('slug')} = %s",
            [slug],
        )
        found = cursor.fetchone()
    if found is None:
        return None
    return WebhookEndpoint(merchant_id=found[0], secret=column.from_db_value(found[1], None, connection))

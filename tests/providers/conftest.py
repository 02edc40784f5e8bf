import json

import pytest

from tests import factories

from . import stripe_payloads as sp

SECRET = "whsec_test_secret"


@pytest.fixture
def stripe_merchant(db):
    return factories.MerchantFactory(
        name="Stripe Shop",
        slug="stripe-shop",
        provider="STRIPE",
        stripe_secret_key="sk_test_123",
        stripe_webhook_secret=SECRET,
    )


@pytest.fixture
def post_event(client, stripe_merchant, django_capture_on_commit_callbacks):
    """POST a signed event to the merchant's endpoint; on-commit callbacks (the eager task) run."""

    def post(
        event: dict, *, secret: str = SECRET, slug: str | None = None, timestamp=None, body=None, header=None
    ):
        raw = body if body is not None else json.dumps(event)
        signature = header if header is not None else sp.sign(raw, secret, timestamp=timestamp)
        headers = {"HTTP_STRIPE_SIGNATURE": signature} if signature else {}
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(
                f"/webhooks/stripe/{slug or stripe_merchant.slug}/",
                data=raw,
                content_type="application/json",
                **headers,
            )

    return post

"""The Stripe API version is pinned in one place and is the one the installed SDK speaks."""

import stripe

from providers.stripe import STRIPE_API_VERSION


def test_the_pinned_version_is_the_sdks_own():
    # An SDK upgrade that changes it fails here, so moving to a new API version is a deliberate change.
    assert STRIPE_API_VERSION == stripe.api_version


# That the client sends it on every request: tests/providers/test_parent_fetch.py (Stripe-Version recorded).

"""Which provider serves a merchant. Views and services ask here, never construct providers themselves."""

from merchants.models import Merchant

from .base import Provider


def get_provider(merchant: Merchant) -> Provider:
    """The provider that moves money for `merchant`: Stripe (official SDK) or the embedded sandbox."""
    if merchant.provider == Merchant.Provider.STRIPE:
        from .stripe import StripeProvider

        return StripeProvider(merchant)
    # Imported lazily: the sandbox pulls in the event pipeline, which imports this module.
    from sandbox.provider import SandboxProvider

    return SandboxProvider(merchant)

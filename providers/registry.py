"""Which provider serves a merchant. Views and services ask here, never construct providers themselves."""

from merchants.models import Merchant

from .base import Provider, ProviderNotConnected


def get_provider(merchant: Merchant) -> Provider:
    """The provider that moves money for `merchant`: Stripe (official SDK) or the embedded sandbox.

    Raises ProviderNotConnected (a ProviderError, so every caller already shows its message) for a merchant
    whose owner has not connected Stripe: there is no silent sandbox default.
    """
    if merchant.provider == Merchant.Provider.NOT_CONNECTED:
        raise ProviderNotConnected()
    if merchant.provider == Merchant.Provider.STRIPE:
        from .stripe import StripeProvider

        return StripeProvider(merchant)
    # Imported lazily: the sandbox pulls in the event pipeline, which imports this module.
    from .sandbox import SandboxProvider

    return SandboxProvider(merchant)

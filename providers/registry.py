"""Which provider serves a merchant. Views and services ask here, never construct providers themselves.

Stripe is built in. Other providers register themselves (the sandbox app does so in its AppConfig.ready,
and only where it is installed), so this module never imports them: a merchant whose provider is not
installed gets ProviderNotConnected, a ProviderError with a message staff can read, not an ImportError.
"""

from collections.abc import Callable

from merchants.models import Merchant

from .base import Provider, ProviderNotConnected
from .stripe import StripeProvider

ProviderFactory = Callable[[Merchant], Provider]

_factories: dict[str, ProviderFactory] = {Merchant.Provider.STRIPE: StripeProvider}


def register(kind: str, factory: ProviderFactory) -> None:
    """Serve merchants whose `provider` is `kind` with `factory(merchant)` (replaces an earlier one)."""
    _factories[kind] = factory


def unregister(kind: str) -> None:
    _factories.pop(kind, None)


def registered(kind: str) -> ProviderFactory | None:
    return _factories.get(kind)


def get_provider(merchant: Merchant) -> Provider:
    """The provider that moves money for `merchant`: Stripe (official SDK) or a registered one (sandbox)."""
    if merchant.provider == Merchant.Provider.NOT_CONNECTED:
        raise ProviderNotConnected()
    factory = _factories.get(merchant.provider)
    if factory is None:
        raise ProviderNotConnected(
            f"{merchant.name} is not connected to a payment provider "
            f"({merchant.get_provider_display()} is not available on this installation). "
            "Connect Stripe in Settings."
        )
    return factory(merchant)

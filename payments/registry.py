"""Which provider serves a merchant, and where what it returns is recorded.

Views and services ask `get_provider(merchant)`, never construct providers themselves. Providers register
themselves when their app is ready: Stripe in `providers/apps.py`, the sandbox in `sandbox/apps.py` (only
where it is installed). This module imports neither, so a merchant whose provider is not installed gets
ProviderNotConnected, a ProviderError with a message staff can read, not an ImportError.

`record(merchant=, obj=, now=)` applies an object a provider returned to a staff action (a refund, a
subscription, a dispute) through the one code path webhooks take (`providers.apply.apply_object`, set here
by `providers/apps.py`): the action's result is visible at once and the webhook that follows is a no-op.
"""

from collections.abc import Callable
from datetime import datetime
from typing import Any

from merchants.models import Merchant

from .base import Provider, ProviderNotConnected

ProviderFactory = Callable[[Merchant], Provider]
Recorder = Callable[..., Any]

_factories: dict[str, ProviderFactory] = {}
_recorder: Recorder | None = None


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


def set_recorder(recorder: Recorder) -> None:
    """Where `record` sends objects: `providers.apply.apply_object`, set when the providers app is ready."""
    global _recorder
    _recorder = recorder


def record(*, merchant: Merchant, obj: dict, now: datetime) -> Any:
    """Apply `obj` (a Stripe-shaped object a provider just returned) as its webhook would; returns the row."""
    if _recorder is None:  # only when the providers app is not installed: a configuration error, loudly
        raise RuntimeError("No recorder: the providers app is not installed (INSTALLED_APPS).")
    return _recorder(merchant=merchant, obj=obj, now=now)

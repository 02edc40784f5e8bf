"""SandboxProvider: the embedded provider that answers like Stripe, with no account and no network.

How it works (see docs/architecture.md, "The sandbox"):
- Every call answers with a Stripe-shaped dict (sandbox/stripe_objects/) AND emits the events Stripe
  would send (refund.created + charge.refunded, customer.subscription.updated, ...) into the merchant's
  inbox through providers.inbox.event_store + event_enqueue, so the real webhook pipeline applies them.
- Its state is the database: the sandbox's own events in the inbox (ProviderEvent.payload holds each
  object as it was when emitted; the newest one is the object's state), with Teller's mirrored rows
  (Transaction, Purchase) as the fallback for objects that were created without events (factories).
- It enforces the Stripe rules Teller relies on: a refund never exceeds what is left to refund, a
  disputed or failed charge cannot be refunded, a canceled subscription cannot be canceled or changed.
- Ids look like Stripe's. Refund ids derive from the idempotency key, so a retried call returns the
  first refund, as Stripe does. The simulate_* helpers (demo seed, tests) take a `key`: the same key
  gives the same ids and event ids, so running the seed twice adds nothing.

It registers itself with payments.registry in SandboxConfig.ready, where the sandbox app is installed
(settings.TELLER_SANDBOX). Tests make it fail on demand with tests/sandbox_failures.py, not with hooks here.

The package: `state` (its events, the mirror fallback, `emit`, `inline_apply`), `operations` (refunds,
subscription changes, dispute responses, repayment links, shared with sandbox/simulate/) and
`sandbox_provider` (the `SandboxProvider` class). Callers import every name from `sandbox.provider`.
"""

from payments.base import ProviderError, ProviderUnavailable

from .operations import (
    cancel_subscription,
    checkout_session_state,
    close_dispute,
    create_refund,
    expire_checkout_session,
    find_checkout_session,
    pay_checkout_session,
    sandbox_pay_url,
    set_cancel_at_period_end,
    update_dispute,
)
from .sandbox_provider import SandboxProvider
from .state import (
    RADAR_LIST_IDS,
    REFUND_REASONS,
    REPAYMENT_LINK_TTL,
    SESSION_RECORD_TYPE,
    add_interval,
    add_months,
    charge_state,
    emit,
    from_ts,
    inline_apply,
    latest_object,
    subscription_state,
)

# ProviderError and ProviderUnavailable are re-exported for callers that catch the sandbox's failures by name.
__all__ = [
    "RADAR_LIST_IDS",
    "REFUND_REASONS",
    "REPAYMENT_LINK_TTL",
    "SESSION_RECORD_TYPE",
    "ProviderError",
    "ProviderUnavailable",
    "SandboxProvider",
    "add_interval",
    "add_months",
    "cancel_subscription",
    "charge_state",
    "checkout_session_state",
    "close_dispute",
    "create_refund",
    "emit",
    "expire_checkout_session",
    "find_checkout_session",
    "from_ts",
    "inline_apply",
    "latest_object",
    "pay_checkout_session",
    "sandbox_pay_url",
    "set_cancel_at_period_end",
    "subscription_state",
    "update_dispute",
]

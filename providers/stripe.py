"""StripeProvider: the Provider protocol on Stripe's official SDK (StripeClient, SDK 16).

Every method returns a plain dict (SDK 16 objects are not dicts: we call .to_dict()), so callers hand the
result straight to providers.apply. Stripe's refusals become ProviderError with Stripe's message; network
failures, timeouts, 5xx and rate limits become ProviderUnavailable (outcome unknown: retry with the same
idempotency key).
"""

import io
from collections.abc import Callable
from contextlib import contextmanager

import stripe
from django.conf import settings

from payments.base import ObjectMissing, ProviderError, ProviderUnavailable, RadarList

# The one place Teller names the Stripe API version it speaks: the version stripe SDK 16.1 pins
# (`stripe.api_version`; a test fails when an SDK upgrade changes it, so the change is deliberate). The client
# sends it on every request, the webhook endpoint Teller registers asks Stripe to render events in it, and the
# Webhooks page warns about any event stored in another version (its shapes may differ from what apply reads).
STRIPE_API_VERSION = "2026-10-28.endive"

# The Radar value lists Teller mirrors blocks into: list kind -> (alias, name, Stripe item_type).
RADAR_LISTS = {
    RadarList.CARD_FINGERPRINT: (
        "teller_blocked_card_fingerprints",
        "Teller: blocked cards",
        "card_fingerprint",
    ),
    RadarList.EMAIL: ("teller_blocked_emails", "Teller: blocked emails", "email"),
    RadarList.CUSTOMER_ID: ("teller_blocked_customer_ids", "Teller: blocked customers", "customer_id"),
}

REQUEST_TIMEOUT_SECONDS = 20


def stripe_api_base() -> str:
    return (settings.STRIPE_API_BASE or stripe.DEFAULT_API_BASE).rstrip("/")


def stripe_client(secret_key: str, *, max_network_retries: int = 1) -> stripe.StripeClient:
    """The SDK client for a key, on the installation's API base (settings.STRIPE_API_BASE)."""
    return stripe.StripeClient(
        secret_key,
        stripe_version=STRIPE_API_VERSION,
        # Uploads go to files.stripe.com; a Stripe-compatible stand-in serves both on one base.
        base_addresses=(
            {"api": stripe_api_base(), "files": stripe_api_base()}
            if settings.STRIPE_API_BASE
            else {"api": stripe_api_base()}
        ),
        http_client=stripe.new_default_http_client(timeout=REQUEST_TIMEOUT_SECONDS),
        max_network_retries=max_network_retries,
    )


@contextmanager
def _stripe_errors():
    """Translate the SDK's exceptions into the provider protocol's two exceptions."""
    try:
        yield
    except (stripe.APIConnectionError, stripe.RateLimitError) as exc:
        raise ProviderUnavailable(
            "Stripe could not be reached; the request may not have been applied.",
            code=getattr(exc, "code", "") or "unavailable",
            http_status=getattr(exc, "http_status", None),
        ) from exc
    except stripe.APIError as exc:  # a 5xx on Stripe's side: outcome unknown
        raise ProviderUnavailable(
            "Stripe answered with a server error; try again.", code="api_error", http_status=exc.http_status
        ) from exc
    except stripe.StripeError as exc:
        message = (
            exc.user_message or str(getattr(exc, "_message", "") or exc) or "Stripe refused the request."
        )
        missing = exc.http_status == 404 or exc.code == "resource_missing"
        raise (ObjectMissing if missing else ProviderError)(
            message, code=exc.code or type(exc).__name__, http_status=exc.http_status
        ) from exc


def _as_dict(obj) -> dict:
    return obj.to_dict() if hasattr(obj, "to_dict") else dict(obj)


class StripeProvider:
    """Talks to Stripe (or, in tests, the installation's settings.STRIPE_API_BASE: never a merchant's)."""

    def __init__(self, merchant):
        self.merchant = merchant
        self.client = stripe_client(merchant.stripe_secret_key or "sk_test_missing")

    def _call(self, fn: Callable, *args, **kwargs) -> dict:
        with _stripe_errors():
            return _as_dict(fn(*args, **kwargs))

    # Money -------------------------------------------------------------------------------------------
    def refund_create(
        self, *, charge_id: str, amount: int, reason: str, idempotency_key: str, metadata: dict | None = None
    ) -> dict:
        params = {"charge": charge_id, "amount": int(amount), "metadata": metadata or {}}
        if reason in ("duplicate", "fraudulent", "requested_by_customer"):
            params["reason"] = reason
        return self._call(self.client.v1.refunds.create, params, {"idempotency_key": idempotency_key})

    # Subscriptions -------------------------------------------------------------------------------------
    def subscription_cancel_now(self, *, subscription_id: str, idempotency_key: str | None = None) -> dict:
        options = {"idempotency_key": idempotency_key} if idempotency_key else None
        return self._call(self.client.v1.subscriptions.cancel, subscription_id, None, options)

    def subscription_set_cancel_at_period_end(
        self, *, subscription_id: str, cancel_at_period_end: bool
    ) -> dict:
        return self._call(
            self.client.v1.subscriptions.update,
            subscription_id,
            {"cancel_at_period_end": bool(cancel_at_period_end)},
        )

    # Repayment links (Checkout Session in payment mode) ------------------------------------------------
    def repayment_link_create(
        self, *, amount: int, currency: str, description: str, metadata: dict, idempotency_key: str
    ) -> dict:
        public = settings.TELLER_PUBLIC_URL.rstrip("/")
        params = {
            "mode": "payment",
            "line_items": [
                {
                    "quantity": 1,
                    "price_data": {
                        "currency": currency.lower(),
                        "unit_amount": int(amount),
                        "product_data": {"name": description or "Repayment"},
                    },
                }
            ],
            "metadata": metadata,
            "payment_intent_data": {"metadata": metadata},
            "success_url": f"{public}/repayment/thanks",
            "cancel_url": f"{public}/repayment/canceled",
        }
        return self._call(
            self.client.v1.checkout.sessions.create, params, {"idempotency_key": idempotency_key}
        )

    def repayment_link_cancel(self, *, link_id: str) -> dict:
        return self._call(self.client.v1.checkout.sessions.expire, link_id)

    # Radar value lists -------------------------------------------------------------------------------
    def _value_list_id(self, list_kind: str) -> str:
        """Find the Teller list by alias, creating it the first time."""
        alias, name, item_type = RADAR_LISTS[list_kind]
        existing = self._call(self.client.v1.radar.value_lists.list, {"alias": alias, "limit": 1})
        if existing.get("data"):
            return existing["data"][0]["id"]
        created = self._call(
            self.client.v1.radar.value_lists.create, {"alias": alias, "name": name, "item_type": item_type}
        )
        return created["id"]

    def radar_item_add(self, *, list_kind: str, value: str) -> dict:
        if list_kind not in RADAR_LISTS:
            raise ProviderError(f"Unknown Radar list {list_kind!r}.", code="unknown_list")
        value_list = self._value_list_id(list_kind)
        return self._call(
            self.client.v1.radar.value_list_items.create, {"value_list": value_list, "value": value}
        )

    def radar_item_remove(self, *, item_id: str) -> dict:
        return self._call(self.client.v1.radar.value_list_items.delete, item_id)

    # Disputes --------------------------------------------------------------------------------------------
    def dispute_update(self, *, dispute_id: str, evidence: dict, submit: bool) -> dict:
        return self._call(
            self.client.v1.disputes.update, dispute_id, {"evidence": dict(evidence), "submit": bool(submit)}
        )

    def dispute_close(self, *, dispute_id: str) -> dict:
        return self._call(self.client.v1.disputes.close, dispute_id)

    def file_upload(self, *, filename: str, content: bytes, purpose: str = "dispute_evidence") -> dict:
        upload = io.BytesIO(content)
        upload.name = filename
        return self._call(self.client.v1.files.create, {"purpose": purpose, "file": upload})

    # Reads -----------------------------------------------------------------------------------------------
    def _services(self) -> dict:
        v1 = self.client.v1
        return {
            "customer": v1.customers,
            "payment_method": v1.payment_methods,
            "subscription": v1.subscriptions,
            "invoice": v1.invoices,
            "invoice_payment": v1.invoice_payments,
            "charge": v1.charges,
            "refund": v1.refunds,
            "dispute": v1.disputes,
            "payment_intent": v1.payment_intents,
            "checkout.session": v1.checkout.sessions,
            "event": v1.events,
        }

    def retrieve(self, *, object_type: str, object_id: str) -> dict:
        service = self._services().get(object_type)
        if service is None:
            raise ProviderError(f"Cannot retrieve a {object_type!r}.", code="unsupported_object")
        return self._call(service.retrieve, object_id)

    # The objects a waiting event's parent can be (NotYetKnown.object_type): see providers/waiting.py.
    PARENT_TYPES = frozenset(
        {"charge", "invoice", "payment_intent", "subscription", "customer", "dispute", "refund"}
    )

    def retrieve_object(self, object_type: str, object_id: str) -> dict:
        if object_type not in self.PARENT_TYPES:
            raise ProviderError(f"Cannot retrieve a {object_type!r}.", code="unsupported_object")
        return self.retrieve(object_type=object_type, object_id=object_id)

    def list_all(self, object_type: str, params: dict | None = None):
        """Every object of a type, auto-paging (used by sync_stripe)."""
        service = self._services()[object_type]
        with _stripe_errors():
            for obj in service.list(params or {"limit": 100}).auto_paging_iter():
                yield _as_dict(obj)

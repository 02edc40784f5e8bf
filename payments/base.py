"""The one interface for every provider service that moves money or access.

Every method returns the provider's object as a plain Stripe-shaped dict (`obj["object"] == "refund"`, ...),
which the caller hands to providers.apply — the same code that applies webhooks — so staff actions do not
wait for the webhook. Failures raise ProviderError (the provider refused; its message is user-facing) or
ProviderUnavailable (timeout / network: the outcome is unknown, retry with the same idempotency key).
"""

from typing import Protocol


class ProviderError(Exception):
    """The provider refused the request. `message` is safe to show to staff."""

    def __init__(self, message: str, *, code: str = "", http_status: int | None = None):
        super().__init__(message)
        self.message = message
        self.code = code
        self.http_status = http_status


class ProviderUnavailable(ProviderError):
    """Timeout or connection failure: the request may or may not have been applied."""


class ObjectMissing(ProviderError):
    """The provider has no such object (Stripe answers 404 `resource_missing`): it really does not exist."""


class ProviderNotConnected(ProviderError):
    """The merchant has no provider this installation can use: not connected yet, or SANDBOX where the sandbox
    app is not installed. Nothing was sent anywhere; retrying will not help until the owner
    connects Stripe."""

    def __init__(self, message: str = "Stripe is not connected yet: the owner connects it in Settings."):
        super().__init__(message, code="not_connected")


class RadarList:
    """Names of the Radar value lists Teller mirrors blocks into."""

    CARD_FINGERPRINT = "card_fingerprint"
    EMAIL = "email"
    CUSTOMER_ID = "customer_id"


class Provider(Protocol):
    def refund_create(
        self, *, charge_id: str, amount: int, reason: str, idempotency_key: str, metadata: dict | None = None
    ) -> dict: ...

    def subscription_cancel_now(
        self, *, subscription_id: str, idempotency_key: str | None = None
    ) -> dict: ...

    def subscription_set_cancel_at_period_end(
        self, *, subscription_id: str, cancel_at_period_end: bool
    ) -> dict: ...

    def repayment_link_create(
        self, *, amount: int, currency: str, description: str, metadata: dict, idempotency_key: str
    ) -> dict: ...

    def repayment_link_cancel(self, *, link_id: str) -> dict: ...

    def radar_item_add(self, *, list_kind: str, value: str) -> dict: ...

    def radar_item_remove(self, *, item_id: str) -> dict: ...

    def retrieve(self, *, object_type: str, object_id: str) -> dict: ...

    def dispute_update(self, *, dispute_id: str, evidence: dict, submit: bool) -> dict:
        """Set the dispute's evidence (text, or the id of an uploaded file per field); `submit=True` sends
        it to the bank (Stripe: status under_review, no further change), `submit=False` keeps a draft."""
        ...

    def dispute_close(self, *, dispute_id: str) -> dict:
        """Accept the dispute (Stripe: POST /v1/disputes/{id}/close; status lost)."""
        ...

    def file_upload(self, *, filename: str, content: bytes, purpose: str = "dispute_evidence") -> dict:
        """Upload a file through the Files API; returns the file object (`id` is what evidence names)."""
        ...

    def retrieve_object(self, object_type: str, object_id: str) -> dict:
        """The current state of a charge, invoice, payment intent, subscription, customer, dispute or refund
        (the inbox fetches a parent that never arrived). Raises ObjectMissing when it does not exist."""
        ...

"""SandboxProvider: the Provider protocol (providers/base.py) for Merchant.provider == SANDBOX."""

from __future__ import annotations

import secrets

from django.utils import timezone

from payments.base import ProviderError
from providers.models import ProviderEvent
from sandbox import stripe_objects as so

from .operations import (
    cancel_subscription,
    close_dispute,
    create_refund,
    expire_checkout_session,
    sandbox_pay_url,
    set_cancel_at_period_end,
    update_dispute,
)
from .state import (
    RADAR_LIST_IDS,
    REPAYMENT_LINK_TTL,
    SESSION_RECORD_TYPE,
    _no_such,
    charge_state,
    emit,
    latest_object,
    subscription_state,
)

# --- the provider -----------------------------------------------------------------------------------------


class SandboxProvider:
    """The Provider protocol (providers/base.py) for Merchant.provider == SANDBOX."""

    def __init__(self, merchant):
        self.merchant = merchant

    # Money ------------------------------------------------------------------------------------------------
    def refund_create(
        self, *, charge_id: str, amount: int, reason: str, idempotency_key: str, metadata: dict | None = None
    ) -> dict:
        """Refund `amount` of the charge. Raises ProviderError when the charge cannot take it."""
        return create_refund(
            self.merchant,
            charge_id=charge_id,
            amount=amount,
            reason=reason,
            key=f"idem:{idempotency_key}",
            idempotency_key=idempotency_key,
            metadata=metadata,
        )

    # Subscriptions ----------------------------------------------------------------------------------------
    def subscription_cancel_now(self, *, subscription_id: str, idempotency_key: str | None = None) -> dict:
        return cancel_subscription(
            self.merchant, subscription_id=subscription_id, idempotency_key=idempotency_key
        )

    def subscription_set_cancel_at_period_end(
        self, *, subscription_id: str, cancel_at_period_end: bool
    ) -> dict:
        return set_cancel_at_period_end(
            self.merchant, subscription_id=subscription_id, cancel_at_period_end=cancel_at_period_end
        )

    # Repayment links ----------------------------------------------------------------------------------------
    def repayment_link_create(
        self, *, amount: int, currency: str, description: str, metadata: dict, idempotency_key: str
    ) -> dict:
        if amount <= 0:
            raise ProviderError(
                "Amount must be greater than zero.", code="parameter_invalid_integer", http_status=400
            )
        recorded = (
            ProviderEvent.objects.filter(
                merchant=self.merchant,
                type=SESSION_RECORD_TYPE,
                payload__request__idempotency_key=idempotency_key,
            )
            .values_list("object_id", flat=True)
            .first()
        )
        if recorded:  # a retried call with the same idempotency key: Stripe answers the first session
            return latest_object(self.merchant, recorded)
        # The session id is the pay page's only credential (anyone holding the link can pay it, as with
        # Stripe Checkout): random and unguessable, never derived from the merchant or the repayment.
        session_id = f"cs_test_{secrets.token_urlsafe(43)}"
        now = timezone.now()
        session = so.checkout_session(
            id=session_id,
            amount=amount,
            currency=currency.lower(),
            description=description,
            created=now,
            expires_at=now + REPAYMENT_LINK_TTL,
            url=sandbox_pay_url(session_id),
            metadata=metadata,
        )
        emit(self.merchant, SESSION_RECORD_TYPE, session, at=now, idempotency_key=idempotency_key)
        return session

    def repayment_link_cancel(self, *, link_id: str) -> dict:
        return expire_checkout_session(self.merchant, session_id=link_id)

    # Radar --------------------------------------------------------------------------------------------------
    def radar_item_add(self, *, list_kind: str, value: str) -> dict:
        if list_kind not in RADAR_LIST_IDS:
            raise ProviderError(f"Unknown value list: {list_kind}", code="resource_missing", http_status=404)
        if not value:
            raise ProviderError("A value is required.", code="parameter_missing", http_status=400)
        item_id = so.stripe_id("rsli", f"{self.merchant.slug}:{list_kind}:{value}")
        return so.value_list_item(
            id=item_id, value=value, value_list=RADAR_LIST_IDS[list_kind], created=timezone.now()
        )

    def radar_item_remove(self, *, item_id: str) -> dict:
        if not item_id.startswith("rsli_"):
            raise _no_such("radar.value_list_item", item_id)
        return {"id": item_id, "object": "radar.value_list_item", "deleted": True}

    # Disputes -----------------------------------------------------------------------------------------------
    def dispute_update(self, *, dispute_id: str, evidence: dict, submit: bool) -> dict:
        return update_dispute(self.merchant, dispute_id=dispute_id, evidence=evidence, submit=submit)

    def dispute_close(self, *, dispute_id: str) -> dict:
        return close_dispute(self.merchant, dispute_id=dispute_id)

    def file_upload(self, *, filename: str, content: bytes, purpose: str = "dispute_evidence") -> dict:
        if purpose not in ("dispute_evidence", "additional_verification", "identity_document"):
            raise ProviderError(f"Invalid purpose: {purpose}", code="parameter_invalid", http_status=400)
        if not content:
            raise ProviderError("The file is empty.", code="file_upload_empty", http_status=400)
        if len(content) > 5 * 1024 * 1024 and purpose == "dispute_evidence":
            raise ProviderError(
                "Dispute evidence files must be 5 MB or smaller.", code="file_too_large", http_status=400
            )
        return {
            "id": so.stripe_id("file"),
            "object": "file",
            "purpose": purpose,
            "filename": filename,
            "size": len(content),
            "created": so.ts(timezone.now()),
            "type": filename.rsplit(".", 1)[-1].lower() if "." in filename else "",
        }

    # Reads --------------------------------------------------------------------------------------------------
    def retrieve(self, *, object_type: str, object_id: str) -> dict:
        if object_type == "charge":
            return charge_state(self.merchant, object_id)
        if object_type == "subscription":
            return subscription_state(self.merchant, object_id)
        obj = latest_object(self.merchant, object_id)
        if obj is None or obj.get("object") != object_type:
            raise _no_such(object_type, object_id)
        return obj

    def retrieve_object(self, object_type: str, object_id: str) -> dict:
        return self.retrieve(object_type=object_type, object_id=object_id)

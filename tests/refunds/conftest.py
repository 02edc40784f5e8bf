"""A provider double for the refunds tests: faked only at the provider boundary, Stripe-shaped answers."""

import itertools

import pytest

from payments.base import ProviderError, ProviderUnavailable
from tests import stripe_shapes

_ids = itertools.count(1)


def stripe_object(kind: str, **fields) -> dict:
    """A Stripe-shaped object (tests/stripe_shapes.py) with `fields` replacing its values."""
    return stripe_shapes.flat(kind, **fields)


class FakeProvider:
    """Records every call. `fail_with` / `unavailable` make the next refund calls refuse or time out."""

    def __init__(self):
        self.calls: list[tuple[str, dict]] = []
        self.refunds_by_key: dict[str, dict] = {}
        self.fail_with: str | None = None
        self.unavailable = False

    def refund_create(self, *, charge_id, amount, reason, idempotency_key, metadata=None):
        self.calls.append(
            (
                "refund_create",
                {
                    "charge_id": charge_id,
                    "amount": amount,
                    "reason": reason,
                    "idempotency_key": idempotency_key,
                    "metadata": metadata,
                },
            )
        )
        if self.unavailable:
            raise ProviderUnavailable("Stripe did not answer in time.")
        if self.fail_with:
            raise ProviderError(self.fail_with, code="charge_already_refunded", http_status=400)
        if idempotency_key not in self.refunds_by_key:  # Stripe answers a repeated key with the same refund
            self.refunds_by_key[idempotency_key] = stripe_object(
                "refund",
                id=f"re_fake{next(_ids):08d}",
                amount=amount,
                charge=charge_id,
                currency=None,
                reason=reason,
                status="succeeded",
                metadata=metadata or {},
            )
        return self.refunds_by_key[idempotency_key]

    def repayment_link_create(self, *, amount, currency, description, metadata, idempotency_key):
        self.calls.append(
            (
                "repayment_link_create",
                {
                    "amount": amount,
                    "currency": currency,
                    "metadata": metadata,
                    "idempotency_key": idempotency_key,
                },
            )
        )
        if self.unavailable:
            raise ProviderUnavailable("Stripe did not answer in time.")
        if self.fail_with:
            raise ProviderError(self.fail_with)
        n = next(_ids)
        return stripe_object(
            "payment_link",
            id=f"plink_fake{n:08d}",
            url=f"https://pay.example/{n}",
            currency=currency,
            metadata=metadata,
            active=True,
        )

    def repayment_link_cancel(self, *, link_id):
        self.calls.append(("repayment_link_cancel", {"link_id": link_id}))
        if self.fail_with:
            raise ProviderError(self.fail_with)
        return stripe_object("payment_link", id=link_id, active=False)

    def called(self, name: str) -> list[dict]:
        return [kwargs for call, kwargs in self.calls if call == name]


@pytest.fixture
def provider(monkeypatch):
    fake = FakeProvider()
    monkeypatch.setattr("refunds.services.repayments._provider", lambda merchant: fake)
    try:
        monkeypatch.setattr("refunds.services.credit_outcome._provider", lambda merchant: fake)
    except (AttributeError, ImportError):
        pass
    return fake

"""StripeProvider's dispute calls through the official SDK against the Stripe-compatible stand-in
(tests/stripe_server.py; localstripe has no disputes): evidence, file upload, submit, close, refusals."""

import time

import pytest
from django.utils import timezone

from merchants.models import Membership
from payments.base import ProviderError
from providers.apply import apply_dispute
from tests import factories
from tests.stripe_server import StripeServer
from transactions.disputes import DisputeRefused, EvidenceFile, dispute_accept, dispute_respond
from transactions.models import Dispute

pytestmark = pytest.mark.django_db
KEY = "sk_test_TellerDisputes0001"


@pytest.fixture
def stripe_merchant(db):
    return factories.MerchantFactory(slug="stripe-disputes", provider="STRIPE", stripe_secret_key=KEY)


@pytest.fixture
def server(settings):
    with StripeServer() as server:
        server.add_key(KEY)
        settings.STRIPE_API_BASE = server.url
        yield server


def _dispute_obj(dispute_id="dp_TStripe0001", due_in=5 * 86400):
    now = int(time.time())
    return {
        "id": dispute_id,
        "object": "dispute",
        "amount": 4900,
        "currency": "eur",
        "charge": "ch_TStripe0001",
        "created": now - 86400,
        "status": "needs_response",
        "reason": "fraudulent",
        "is_charge_refundable": False,
        "evidence": {"product_description": None, "customer_communication": None},
        "evidence_details": {
            "due_by": now + due_in,
            "has_evidence": False,
            "past_due": False,
            "submission_count": 0,
        },
        "balance_transactions": [],
        "metadata": {},
        "livemode": False,
    }


@pytest.fixture
def dispute(stripe_merchant, server):
    charge = factories.TransactionFactory(
        merchant=stripe_merchant, provider_id="ch_TStripe0001", amount=4900, currency="eur"
    )
    obj = _dispute_obj()
    server.load([obj])
    apply_dispute(merchant=stripe_merchant, obj=obj, now=timezone.now())
    assert charge.children.count() == 1
    return Dispute.objects.get(provider_id=obj["id"])


def test_upload_then_submit_goes_through_the_sdk(stripe_merchant, server, dispute):
    owner = factories.MembershipFactory(merchant=stripe_merchant, role="OWNER").user
    dispute_respond(
        actor=owner,
        membership=Membership.objects.get(user=owner),
        now=timezone.now(),
        dispute=dispute,
        evidence={"product_description": "Channel access"},
        files={
            "customer_communication": EvidenceFile(filename="mails.pdf", content=b"%PDF-1.4 \x00\xff bytes")
        },
        submit=True,
    )

    assert ("POST", "/v1/files") in server.state.requests
    assert ("POST", f"/v1/disputes/{dispute.provider_id}") in server.state.requests
    uploaded = server.state.objects["file"][0]
    assert uploaded["filename"] == "mails.pdf" and uploaded["size"] == len(b"%PDF-1.4 \x00\xff bytes")
    dispute.refresh_from_db()
    assert dispute.status == Dispute.Status.UNDER_REVIEW
    assert dispute.evidence["customer_communication"] == uploaded["id"]
    assert dispute.submission_count == 1


def test_close_through_the_sdk(stripe_merchant, server, dispute):
    owner = factories.MembershipFactory(merchant=stripe_merchant, role="OWNER").user
    dispute_accept(
        actor=owner,
        membership=Membership.objects.get(user=owner),
        now=timezone.now(),
        dispute=dispute,
        confirmation="ACCEPT",
    )
    assert ("POST", f"/v1/disputes/{dispute.provider_id}/close") in server.state.requests
    dispute.refresh_from_db()
    assert dispute.status == Dispute.Status.LOST


def test_stripe_refusal_is_a_provider_error_and_nothing_changes(stripe_merchant, server, dispute):
    server.state.objects["dispute"][0]["status"] = "won"  # closed at Stripe, not yet known to Teller
    owner = factories.MembershipFactory(merchant=stripe_merchant, role="OWNER").user
    with pytest.raises(ProviderError, match="already won"):
        dispute_respond(
            actor=owner,
            membership=Membership.objects.get(user=owner),
            now=timezone.now(),
            dispute=dispute,
            evidence={"product_description": "x"},
            submit=True,
        )
    dispute.refresh_from_db()
    assert dispute.status == Dispute.Status.NEEDS_RESPONSE and dispute.evidence == {}


def test_a_past_due_dispute_is_refused_before_any_call(stripe_merchant, server):
    factories.TransactionFactory(merchant=stripe_merchant, provider_id="ch_TStripe0001", amount=4900)
    obj = _dispute_obj("dp_TPast", due_in=-60)
    apply_dispute(merchant=stripe_merchant, obj=obj, now=timezone.now())
    dispute = Dispute.objects.get(provider_id="dp_TPast")
    owner = factories.MembershipFactory(merchant=stripe_merchant, role="OWNER").user
    with pytest.raises(DisputeRefused, match="deadline"):
        dispute_respond(
            actor=owner,
            membership=Membership.objects.get(user=owner),
            now=timezone.now(),
            dispute=dispute,
            evidence={"product_description": "x"},
            submit=True,
        )
    assert not [r for r in server.state.requests if r[1].startswith("/v1/disputes")]

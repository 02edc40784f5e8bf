"""The Disputes page and the response views: scoped, role-checked, hostile input answered without a 500."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from transactions.models import Dispute

from .disputes_helpers import open_dispute

pytestmark = pytest.mark.django_db


@pytest.fixture
def disputes(merchant):
    now = timezone.now()
    return {
        # opened 13 days ago: due in about a day
        "soon": open_dispute(merchant, key="soon", at=now - timedelta(days=13), reason="fraudulent"),
        "later": open_dispute(
            merchant, key="later", at=now - timedelta(days=1), reason="subscription_canceled"
        ),
        "won": open_dispute(merchant, key="won", at=now - timedelta(days=60), status="won"),
    }


def test_the_page_lists_open_disputes_soonest_first_with_the_nav_count(owner_client, disputes):
    response = owner_client.get(reverse("transactions:disputes"))

    assert response.status_code == 200
    body = response.content.decode()
    assert body.index('id="dispute-' + str(disputes["soon"].pk)) < body.index(
        'id="dispute-' + str(disputes["later"].pk)
    )
    assert f'id="dispute-{disputes["won"].pk}"' not in body
    assert 'id="nav-disputes"' in body
    assert 'aria-label="1 due in the next 72 hours"' in body
    assert "Subscription canceled" in body


def test_filters_by_status_and_reason(owner_client, disputes):
    body = owner_client.get(reverse("transactions:disputes"), {"status": "WON"}).content.decode()
    assert f'id="dispute-{disputes["won"].pk}"' in body
    assert f'id="dispute-{disputes["soon"].pk}"' not in body

    body = owner_client.get(
        reverse("transactions:disputes"), {"reason": "subscription_canceled"}
    ).content.decode()
    assert f'id="dispute-{disputes["later"].pk}"' in body
    assert f'id="dispute-{disputes["soon"].pk}"' not in body


@pytest.mark.parametrize(
    "params",
    [
        {"status": "nope"},
        {"reason": "x" * 5000},
        {"after": "zzz~1"},
        {"before": "2026-01-01~99999999999999999999"},
    ],
)
def test_hostile_query_strings_are_ignored_with_a_note(owner_client, disputes, params):
    response = owner_client.get(reverse("transactions:disputes"), params)
    assert response.status_code == 200


def test_due_date_is_shown_in_the_merchant_time_zone(owner_client, merchant, disputes):
    merchant.time_zone = "Asia/Tokyo"
    merchant.save()
    due = disputes["later"].due_by
    body = owner_client.get(reverse("transactions:disputes")).content.decode()
    from zoneinfo import ZoneInfo

    assert due.astimezone(ZoneInfo("Asia/Tokyo")).strftime("%-d %b %Y, %H:%M") in body
    assert str(int(due.timestamp())) not in body


def test_support_sees_the_page_but_not_respond_and_gets_403_on_the_actions(support_client, disputes):
    d = disputes["soon"]
    body = support_client.get(reverse("transactions:disputes")).content.decode()
    assert f'id="respond-{d.pk}"' not in body

    assert support_client.get(reverse("transactions:dispute-respond", args=[d.pk])).status_code == 403
    response = support_client.post(
        reverse("transactions:dispute-respond", args=[d.pk]), {"action": "submit", "product_description": "x"}
    )
    assert response.status_code == 403
    response = support_client.post(
        reverse("transactions:dispute-accept", args=[d.pk]), {"confirmation": "ACCEPT"}
    )
    assert response.status_code == 403
    d.refresh_from_db()
    assert d.status == Dispute.Status.NEEDS_RESPONSE
    assert not AuditEvent.objects.exists()


def test_another_merchants_dispute_is_a_404(other_client, disputes):
    assert (
        other_client.get(reverse("transactions:dispute-respond", args=[disputes["soon"].pk])).status_code
        == 404
    )


def test_draft_then_submit_through_the_view(manager_client, disputes):
    d = disputes["soon"]
    url = reverse("transactions:dispute-respond", args=[d.pk])
    form = manager_client.get(url).content.decode()
    assert 'name="access_activity_log"' in form  # fraud evidence for a fraudulent dispute
    assert 'name="cancellation_rebuttal"' not in form

    response = manager_client.post(url, {"action": "draft", "product_description": "Access to the channel"})
    assert response.status_code == 200
    assert "Draft saved" in response.content.decode()

    upload = SimpleUploadedFile("log.pdf", b"%PDF-1.4 access log", content_type="application/pdf")
    response = manager_client.post(
        url,
        {
            "action": "submit",
            "product_description": "Access to the channel",
            "customer_communication": upload,
        },
    )
    assert response.status_code == 302
    d.refresh_from_db()
    assert d.status == Dispute.Status.UNDER_REVIEW
    assert d.evidence["customer_communication"].startswith("file_")


def test_hostile_form_input_is_refused_and_changes_nothing(manager_client, disputes):
    d = disputes["soon"]
    url = reverse("transactions:dispute-respond", args=[d.pk])
    for data in (
        {"action": "submit", "product_description": "x" * 30000},
        {"action": "submit", "product_description": "a\x00b"},
        {"action": "submit"},  # nothing to submit
    ):
        response = manager_client.post(url, data)
        assert response.status_code == 400, data
    response = manager_client.post(
        reverse("transactions:dispute-accept", args=[d.pk]), {"confirmation": "yes"}
    )
    assert response.status_code == 400
    assert "Type ACCEPT" in response.content.decode()
    d.refresh_from_db()
    assert d.status == Dispute.Status.NEEDS_RESPONSE and d.evidence == {}
    assert not AuditEvent.objects.exists()


def test_accept_via_htmx_answers_204_with_the_events(manager_client, disputes):
    d = disputes["later"]
    response = manager_client.post(
        reverse("transactions:dispute-accept", args=[d.pk]),
        {"confirmation": "ACCEPT"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 204
    assert "disputes:changed" in response["HX-Trigger"]
    d.refresh_from_db()
    assert d.status == Dispute.Status.LOST


def test_a_closed_dispute_shows_why_it_cannot_be_answered(owner_client, disputes):
    body = owner_client.get(
        reverse("transactions:dispute-respond", args=[disputes["won"].pk])
    ).content.decode()
    assert "closed (won)" in body
    assert 'id="evidence-form"' not in body


def test_a_repaid_chargeback_still_shows_the_open_dispute_on_the_customer_page(owner_client, disputes):
    d = disputes["soon"]
    chargeback = d.transaction
    chargeback.repaid_amount = chargeback.amount
    chargeback.status = "REPAID"
    chargeback.save()

    body = owner_client.get(
        reverse("customers:detail", args=[chargeback.customer.public_id])
    ).content.decode()
    assert f'id="dispute-panel-{d.pk}"' in body
    assert reverse("transactions:dispute-respond", args=[d.pk]) in body

    body = owner_client.get(reverse("transactions:detail", args=[chargeback.pk])).content.decode()
    assert f'id="dispute-panel-{d.pk}"' in body
    assert "Evidence due" in body
